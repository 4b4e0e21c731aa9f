import { describe, expect } from "vitest";
import {
  expectError,
  expectStatus,
  issueGroup,
  issueLaunchTemplate,
  issueTargetGroup,
  issueTargetTrackingPolicy,
  seedGroup,
  type TestApp,
  apiTest as test,
} from "./helpers.ts";

/** The cause the reconciler will write on the group's next scaling activity. */
function pendingCause(api: TestApp, group: string): string | null {
  const row = api.handle.sqlite
    .prepare("select capacity_cause as cause from auto_scaling_groups where name = ?")
    .get(group) as { cause: string | null } | undefined;
  return row?.cause ?? null;
}

describe("launch templates", () => {
  test("the issue's example is created as written", async ({ api }) => {
    const created = await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    expectStatus(created, 201);
    expect(created.body.launchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(created.body).toMatchObject({
      launchTemplateName: "app",
      defaultVersionNumber: 1,
      latestVersionNumber: 1,
      image: "scaleout/example:latest",
      command: ["node", "/app/server.js"],
      environment: { MODE: "demo" },
      containerPort: 8080,
      cpu: 0.5,
      memoryMiB: 256,
      networkMode: "host",
    });
    expect(api.events.versions).toEqual([1]);
    const byName = await api.request("GET", "/v1/launch-templates/app");
    expect(byName.body).toEqual(created.body);
    const byId = await api.request("GET", `/v1/launch-templates/${created.body.launchTemplateId}`);
    expect(byId.body).toEqual(created.body);
    const list = await api.request("GET", "/v1/launch-templates");
    expect(list.body.launchTemplates).toEqual([created.body]);
  });

  test("a command without an image is a process template; neither is ValidationError", async ({ api }) => {
    const processOnly = await api.request("POST", "/v1/launch-templates", {
      launchTemplateName: "proc",
      command: ["node", "server.js"],
    });
    expectStatus(processOnly, 201);
    expect(processOnly.body.image).toBeUndefined();
    expect(processOnly.body.networkMode).toBe("host");
    expectError(
      await api.request("POST", "/v1/launch-templates", { launchTemplateName: "empty" }),
      400,
      "ValidationError",
    );
    for (const bad of [
      { launchTemplateName: "ab", command: ["x"] },
      { launchTemplateName: "bad name", command: ["x"] },
      { launchTemplateName: "img", image: "UPPER/Case" },
      { launchTemplateName: "cmd", command: [] },
      { launchTemplateName: "cmd", command: [""] },
      { launchTemplateName: "env", command: ["x"], environment: { "1BAD": "x" } },
      { launchTemplateName: "cpu", command: ["x"], cpu: 0 },
      { launchTemplateName: "mem", command: ["x"], memoryMiB: 4 },
      { launchTemplateName: "port", command: ["x"], containerPort: 0 },
      { launchTemplateName: "net", command: ["x"], networkMode: "bridge" },
      { launchTemplateName: "net", command: ["x"], networkMode: "none" },
      { launchTemplateName: "extra", command: ["x"], instanceType: "t3.micro" },
    ]) {
      expectError(await api.request("POST", "/v1/launch-templates", bad), 400, "ValidationError");
    }
  });

  test("a duplicate name is 409; an unknown one is 404", async ({ api }) => {
    await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    expectError(
      await api.request("POST", "/v1/launch-templates", issueLaunchTemplate),
      409,
      "InvalidLaunchTemplateName.AlreadyExistsException",
    );
    expectError(
      await api.request("GET", "/v1/launch-templates/nope"),
      404,
      "InvalidLaunchTemplateName.NotFoundException",
    );
    expectError(
      await api.request("DELETE", "/v1/launch-templates/nope"),
      404,
      "InvalidLaunchTemplateName.NotFoundException",
    );
  });

  test("delete is ResourceInUse while a group launches from it, 204 once it does not", async ({ api }) => {
    await seedGroup(api, { minSize: 0, desiredCapacity: 0 });
    expectError(await api.request("DELETE", "/v1/launch-templates/app"), 409, "ResourceInUse");
    expectStatus(await api.request("GET", "/v1/launch-templates/app"), 200);
    expectStatus(await api.request("DELETE", "/v1/auto-scaling-groups/app"), 204);
    expectStatus(await api.request("DELETE", "/v1/launch-templates/app"), 204);
    expectError(
      await api.request("GET", "/v1/launch-templates/app"),
      404,
      "InvalidLaunchTemplateName.NotFoundException",
    );
  });
});

describe("auto scaling groups", () => {
  test("the issue's example is created, announced and reconciled", async ({ api }) => {
    const tg = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const template = await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    const created = await api.request("POST", "/v1/auto-scaling-groups", issueGroup(tg.body.targetGroupArn));
    expectStatus(created, 201);
    expect(created.body.autoScalingGroupARN).toMatch(
      /^arn:aws:autoscaling:us-east-1:\d{12}:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/app$/,
    );
    expect(created.body).toMatchObject({
      autoScalingGroupName: "app",
      launchTemplate: {
        launchTemplateId: template.body.launchTemplateId,
        launchTemplateName: "app",
        version: "$Default",
      },
      minSize: 1,
      maxSize: 4,
      desiredCapacity: 1,
      targetGroupARNs: [tg.body.targetGroupArn],
      healthCheckType: "ELB",
      healthCheckGracePeriod: 5,
      defaultCooldown: 300,
      terminationPolicies: ["Default"],
      instances: [],
    });
    expect(api.events.groups).toEqual([{ name: "app", reason: "group created" }]);
    expect(api.events.versions).toEqual([1, 2, 3]);
    expect(pendingCause(api, "app")).toMatch(
      /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request created an AutoScalingGroup changing the desired capacity from 0 to 1\.$/,
    );
    const got = await api.request("GET", "/v1/auto-scaling-groups/app");
    expect(got.body).toEqual(created.body);
    const list = await api.request("GET", "/v1/auto-scaling-groups");
    expect(list.body.autoScalingGroups).toEqual([created.body]);
    const activities = await api.request("GET", "/v1/auto-scaling-groups/app/activities");
    expectStatus(activities, 200);
    expect(activities.body).toEqual({ activities: [] });
    const instances = await api.request("GET", "/v1/auto-scaling-groups/app/instances");
    expectStatus(instances, 200);
    expect(instances.body).toEqual({ instances: [] });
    // The group uses its target group, which therefore cannot go.
    expectError(await api.request("DELETE", "/v1/target-groups/web-tg"), 409, "ResourceInUse");
  });

  test("sizes outside min <= desired <= max are ValidationError with AWS's sentence", async ({ api }) => {
    const tg = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    const base = issueGroup(tg.body.targetGroupArn);
    const create = (extra: Record<string, unknown>) =>
      api.request("POST", "/v1/auto-scaling-groups", { ...base, ...extra });
    expectError(
      await create({ minSize: 3, maxSize: 2, desiredCapacity: 2 }),
      400,
      "ValidationError",
      "Max bound, 2, must be greater than or equal to min bound, 3",
    );
    expectError(
      await create({ desiredCapacity: 5 }),
      400,
      "ValidationError",
      "Desired capacity:5 must be between the specified min size:1 and max size:4",
    );
    expectError(
      await create({ minSize: 2, desiredCapacity: 1 }),
      400,
      "ValidationError",
      "Desired capacity:1 must be between the specified min size:2 and max size:4",
    );
    expectError(await create({ minSize: -1 }), 400, "ValidationError");
    expectError(await create({ healthCheckType: "HTTP" }), 400, "ValidationError");
    expectError(await create({ terminationPolicies: ["Random"] }), 400, "ValidationError");
    expectError(await create({ autoScalingGroupName: "a/b" }), 400, "ValidationError");
    expectError(await create({ maxSize: undefined }), 400, "ValidationError");
    expect(api.events.groups).toEqual([]);
  });

  test("an unknown launch template or target group is ValidationError; a taken name AlreadyExists", async ({
    api,
  }) => {
    const tg = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    const base = issueGroup(tg.body.targetGroupArn);
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups", {
        ...base,
        launchTemplate: { launchTemplateName: "nope" },
      }),
      400,
      "ValidationError",
      /launch template/,
    );
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups", { ...base, launchTemplate: {} }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups", {
        ...base,
        launchTemplate: { launchTemplateName: "app", version: "7" },
      }),
      400,
      "ValidationError",
    );
    const unknownArn = tg.body.targetGroupArn.replace(/[0-9a-f]{16}$/, "0000000000000000");
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups", { ...base, targetGroupARNs: [unknownArn] }),
      400,
      "ValidationError",
      /Target Groups/,
    );
    expectStatus(await api.request("POST", "/v1/auto-scaling-groups", base), 201);
    expectError(await api.request("POST", "/v1/auto-scaling-groups", base), 409, "AlreadyExists");
    expectError(await api.request("GET", "/v1/auto-scaling-groups/nope"), 404, "AutoScalingGroupNotFound");
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/nope/activities"),
      404,
      "AutoScalingGroupNotFound",
    );
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/nope/instances"),
      404,
      "AutoScalingGroupNotFound",
    );
  });

  test("PUT desired-capacity moves desired within min and max and enqueues a reconcile", async ({ api }) => {
    await seedGroup(api);
    api.events.groups.length = 0;
    const versions = api.events.versions.length;
    const set = await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", {
      desiredCapacity: 3,
    });
    expectStatus(set, 200);
    expect(set.body.desiredCapacity).toBe(3);
    expect(api.events.groups).toEqual([{ name: "app", reason: "desired capacity changed" }]);
    expect(api.events.versions.length).toBe(versions + 1);
    expect(pendingCause(api, "app")).toMatch(
      /a user request explicitly set group desired capacity changing the desired capacity from 1 to 3\.$/,
    );
    // The same value again moves nothing and enqueues nothing.
    expectStatus(
      await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: 3 }),
      200,
    );
    expect(api.events.groups).toHaveLength(1);

    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: 5 }),
      400,
      "ValidationError",
      "New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.",
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: 0 }),
      400,
      "ValidationError",
      "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.",
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", {}),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: -1 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/nope/desired-capacity", { desiredCapacity: 1 }),
      404,
      "AutoScalingGroupNotFound",
    );
    expect(api.events.groups).toHaveLength(1);
  });

  test("PATCH updates settings; a new max below desired lowers it, as AWS does", async ({ api }) => {
    await seedGroup(api);
    await api.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: 3 });
    api.events.groups.length = 0;
    const patched = await api.request("PATCH", "/v1/auto-scaling-groups/app", {
      maxSize: 2,
      defaultCooldown: 60,
      healthCheckType: "EC2",
      terminationPolicies: ["NewestInstance"],
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({
      minSize: 1,
      maxSize: 2,
      desiredCapacity: 2,
      defaultCooldown: 60,
      healthCheckType: "EC2",
      terminationPolicies: ["NewestInstance"],
    });
    expect(api.events.groups.map((g) => g.name)).toContain("app");
    expect(pendingCause(api, "app")).toMatch(
      /a user request update of AutoScalingGroup constraints to min: 1, max: 2, desired: 2 changing the desired capacity from 3 to 2\.$/,
    );
    expectError(
      await api.request("PATCH", "/v1/auto-scaling-groups/app", { minSize: 3 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PATCH", "/v1/auto-scaling-groups/app", { desiredCapacity: 9 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PATCH", "/v1/auto-scaling-groups/app", { autoScalingGroupName: "renamed" }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PATCH", "/v1/auto-scaling-groups/nope", { maxSize: 3 }),
      404,
      "AutoScalingGroupNotFound",
    );
  });

  test("delete with desired > 0 needs forceDelete (ResourceInUse otherwise)", async ({ api }) => {
    await seedGroup(api);
    expectError(
      await api.request("DELETE", "/v1/auto-scaling-groups/app"),
      409,
      "ResourceInUse",
      "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.",
    );
    expectStatus(await api.request("GET", "/v1/auto-scaling-groups/app"), 200);
    expectError(
      await api.request("DELETE", "/v1/auto-scaling-groups/app?forceDelete=maybe"),
      400,
      "ValidationError",
    );
    // No instance runs yet, so a forced delete removes the group at once, with its policies and their alarms.
    expectStatus(
      await api.request("POST", "/v1/auto-scaling-groups/app/policies", issueTargetTrackingPolicy),
      201,
    );
    const deleted = await api.request("DELETE", "/v1/auto-scaling-groups/app?forceDelete=true");
    expectStatus(deleted, 204);
    expectError(await api.request("GET", "/v1/auto-scaling-groups/app"), 404, "AutoScalingGroupNotFound");
    const alarms = await api.request("GET", "/v1/alarms");
    expect(alarms.body.metricAlarms).toEqual([]);
    // The target group is free again.
    expectStatus(await api.request("DELETE", "/v1/target-groups/web-tg"), 204);
  });

  test("list paginates by name", async ({ api }) => {
    await api.request("POST", "/v1/launch-templates", issueLaunchTemplate);
    for (const name of ["g3", "g1", "g2"]) {
      expectStatus(
        await api.request("POST", "/v1/auto-scaling-groups", {
          autoScalingGroupName: name,
          launchTemplate: { launchTemplateName: "app" },
          minSize: 0,
          maxSize: 1,
        }),
        201,
      );
    }
    const first = await api.request("GET", "/v1/auto-scaling-groups?pageSize=2");
    expect(
      first.body.autoScalingGroups.map((g: { autoScalingGroupName: string }) => g.autoScalingGroupName),
    ).toEqual(["g1", "g2"]);
    // No desired capacity was given: it defaults to the minimum.
    expect(first.body.autoScalingGroups[0].desiredCapacity).toBe(0);
    const second = await api.request(
      "GET",
      `/v1/auto-scaling-groups?pageSize=2&nextToken=${encodeURIComponent(first.body.nextToken)}`,
    );
    expect(
      second.body.autoScalingGroups.map((g: { autoScalingGroupName: string }) => g.autoScalingGroupName),
    ).toEqual(["g3"]);
    expect(second.body.nextToken).toBeUndefined();
  });
});

describe("scaling policies", () => {
  test("the issue's target tracking policy creates its two alarms", async ({ api }) => {
    await seedGroup(api);
    const created = await api.request(
      "POST",
      "/v1/auto-scaling-groups/app/policies",
      issueTargetTrackingPolicy,
    );
    expectStatus(created, 201);
    const policy = created.body;
    expect(policy.policyARN).toMatch(
      /^arn:aws:autoscaling:us-east-1:\d{12}:scalingPolicy:[0-9a-f-]{36}:autoScalingGroupName\/app:policyName\/cpu50$/,
    );
    expect(policy).toMatchObject({
      autoScalingGroupName: "app",
      policyName: "cpu50",
      policyType: "TargetTrackingScaling",
      enabled: true,
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: 50,
        disableScaleIn: false,
      },
    });
    const names = policy.alarms.map((a: { alarmName: string }) => a.alarmName).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^TargetTracking-app-AlarmHigh-[0-9a-f-]{36}$/);
    expect(names[1]).toMatch(/^TargetTracking-app-AlarmLow-[0-9a-f-]{36}$/);

    const alarms = await api.request("GET", "/v1/alarms");
    const byName = Object.fromEntries(
      alarms.body.metricAlarms.map((a: { alarmName: string }) => [a.alarmName, a]),
    );
    expect(byName[names[0]]).toMatchObject({
      namespace: "AWS/EC2",
      metricName: "CPUUtilization",
      dimensions: [{ name: "AutoScalingGroupName", value: "app" }],
      statistic: "Average",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 50,
      period: 60,
      evaluationPeriods: 3,
      alarmActions: [policy.policyARN],
      stateValue: "INSUFFICIENT_DATA",
    });
    expect(byName[names[1]]).toMatchObject({
      comparisonOperator: "LessThanThreshold",
      threshold: 45,
      evaluationPeriods: 15,
      alarmActions: [policy.policyARN],
    });

    // Putting it again replaces it in place: same ARN, same alarms.
    const again = await api.request("POST", "/v1/auto-scaling-groups/app/policies", {
      ...issueTargetTrackingPolicy,
      targetTrackingConfiguration: {
        ...issueTargetTrackingPolicy.targetTrackingConfiguration,
        targetValue: 60,
      },
    });
    expectStatus(again, 200);
    expect(again.body.policyARN).toBe(policy.policyARN);
    expect(again.body.alarms.map((a: { alarmName: string }) => a.alarmName).sort()).toEqual(names);
    const high = await api.request("GET", `/v1/alarms/${names[0]}`);
    expect(high.body.threshold).toBe(60);

    // It runs from its alarms only.
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups/app/policies/cpu50/execute", {}),
      400,
      "ValidationError",
    );

    const listed = await api.request("GET", "/v1/auto-scaling-groups/app/policies");
    expect(listed.body.scalingPolicies).toHaveLength(1);
    const one = await api.request("GET", "/v1/auto-scaling-groups/app/policies/cpu50");
    expect(one.body.policyARN).toBe(policy.policyARN);

    // Deleting the policy takes its alarms along.
    expectStatus(await api.request("DELETE", "/v1/auto-scaling-groups/app/policies/cpu50"), 204);
    const after = await api.request("GET", "/v1/alarms");
    expect(after.body.metricAlarms).toEqual([]);
    expectError(
      await api.request("DELETE", "/v1/auto-scaling-groups/app/policies/cpu50"),
      404,
      "ScalingPolicyNotFound",
    );
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/app/policies/cpu50"),
      404,
      "ScalingPolicyNotFound",
    );
  });

  test("simple, step and target tracking policies follow AWS's field rules", async ({ api }) => {
    await seedGroup(api);
    const put = (body: Record<string, unknown>) =>
      api.request("POST", "/v1/auto-scaling-groups/app/policies", body);
    const simple = await put({
      policyName: "up",
      adjustmentType: "ChangeInCapacity",
      scalingAdjustment: 1,
      cooldown: 60,
    });
    expectStatus(simple, 201);
    expect(simple.body).toMatchObject({
      policyType: "SimpleScaling",
      adjustmentType: "ChangeInCapacity",
      scalingAdjustment: 1,
      cooldown: 60,
      alarms: [],
    });
    expectStatus(
      await put({
        policyName: "pct",
        policyType: "SimpleScaling",
        adjustmentType: "PercentChangeInCapacity",
        scalingAdjustment: 50,
        minAdjustmentMagnitude: 2,
      }),
      201,
    );
    const step = await put({
      policyName: "steps",
      policyType: "StepScaling",
      adjustmentType: "ChangeInCapacity",
      metricAggregationType: "Average",
      estimatedInstanceWarmup: 60,
      stepAdjustments: [
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 10, scalingAdjustment: 2 },
      ],
    });
    expectStatus(step, 201);
    expect(step.body.stepAdjustments).toHaveLength(2);

    const bad = [
      { policyName: "x" },
      { policyName: "x", adjustmentType: "ChangeInCapacity" },
      { policyName: "x", adjustmentType: "Sideways", scalingAdjustment: 1 },
      { policyName: "x", adjustmentType: "ExactCapacity", scalingAdjustment: -1 },
      {
        policyName: "x",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
        minAdjustmentMagnitude: 1,
      },
      {
        policyName: "x",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
        stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
      },
      {
        policyName: "x",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
        estimatedInstanceWarmup: 10,
      },
      { policyName: "x", policyType: "StepScaling", adjustmentType: "ChangeInCapacity" },
      {
        policyName: "x",
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
        stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
      },
      {
        policyName: "x",
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        cooldown: 60,
        stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
      },
      {
        // A gap between 10 and 20.
        policyName: "x",
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        stepAdjustments: [
          { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
          { metricIntervalLowerBound: 20, scalingAdjustment: 2 },
        ],
      },
      {
        // Overlapping intervals.
        policyName: "x",
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        stepAdjustments: [
          { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
          { metricIntervalLowerBound: 5, scalingAdjustment: 2 },
        ],
      },
      {
        policyName: "x",
        policyType: "StepScaling",
        adjustmentType: "ChangeInCapacity",
        stepAdjustments: [{ scalingAdjustment: 1 }],
      },
      { ...issueTargetTrackingPolicy, policyName: "x", adjustmentType: "ChangeInCapacity" },
      { ...issueTargetTrackingPolicy, policyName: "x", targetTrackingConfiguration: { targetValue: 50 } },
      {
        ...issueTargetTrackingPolicy,
        policyName: "x",
        targetTrackingConfiguration: {
          ...issueTargetTrackingPolicy.targetTrackingConfiguration,
          targetValue: 0,
        },
      },
      {
        policyName: "x",
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget" },
          targetValue: 100,
        },
      },
      { policyName: "x", policyType: "TargetTrackingScaling" },
      { policyName: "x", policyType: "PredictiveScaling" },
      { policyName: "x", policyType: "Whatever", adjustmentType: "ChangeInCapacity", scalingAdjustment: 1 },
      { policyName: "a/b", adjustmentType: "ChangeInCapacity", scalingAdjustment: 1 },
    ];
    for (const body of bad) expectError(await put(body), 400, "ValidationError");

    expectError(
      await api.request("POST", "/v1/auto-scaling-groups/nope/policies", {
        policyName: "up",
        adjustmentType: "ChangeInCapacity",
        scalingAdjustment: 1,
      }),
      404,
      "AutoScalingGroupNotFound",
    );
    const listed = await api.request("GET", "/v1/auto-scaling-groups/app/policies");
    expect(listed.body.scalingPolicies.map((p: { policyName: string }) => p.policyName).sort()).toEqual([
      "pct",
      "steps",
      "up",
    ]);
  });

  test("executing a simple ChangeInCapacity policy moves desired and becomes the next activity's cause", async ({
    api,
  }) => {
    await seedGroup(api);
    await api.request("POST", "/v1/auto-scaling-groups/app/policies", {
      policyName: "up",
      adjustmentType: "ChangeInCapacity",
      scalingAdjustment: 2,
    });
    api.events.groups.length = 0;
    const executed = await api.request("POST", "/v1/auto-scaling-groups/app/policies/up/execute", {});
    expectStatus(executed, 200);
    expect(executed.body).toEqual({ changed: true, from: 1, to: 3 });
    expect(api.events.groups).toEqual([{ name: "app", reason: "desired capacity changed" }]);
    const group = await api.request("GET", "/v1/auto-scaling-groups/app");
    expect(group.body.desiredCapacity).toBe(3);
    expect(pendingCause(api, "app")).toMatch(
      /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request executed policy up changing the desired capacity from 1 to 3\.$/,
    );
    // Clamped to the maximum; a body is optional.
    const clamped = await api.request("POST", "/v1/auto-scaling-groups/app/policies/up/execute");
    expectStatus(clamped, 200);
    expect(clamped.body).toEqual({ changed: true, from: 3, to: 4 });
    const atMax = await api.request("POST", "/v1/auto-scaling-groups/app/policies/up/execute", {});
    expect(atMax.body).toMatchObject({ changed: false, from: 4, to: 4 });
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups/app/policies/nope/execute", {}),
      404,
      "ScalingPolicyNotFound",
    );
  });

  test("executing a step policy needs the metric value and breach threshold", async ({ api }) => {
    await seedGroup(api);
    await api.request("POST", "/v1/auto-scaling-groups/app/policies", {
      policyName: "steps",
      policyType: "StepScaling",
      adjustmentType: "ChangeInCapacity",
      stepAdjustments: [
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 10, scalingAdjustment: 2 },
      ],
    });
    const url = "/v1/auto-scaling-groups/app/policies/steps/execute";
    expectError(await api.request("POST", url, {}), 400, "ValidationError");
    expectError(await api.request("POST", url, { metricValue: 75 }), 400, "ValidationError");
    const executed = await api.request("POST", url, { metricValue: 85, breachThreshold: 70 });
    expectStatus(executed, 200);
    expect(executed.body).toEqual({ changed: true, from: 1, to: 3 });
  });
});
