import {
  AttachLoadBalancerTargetGroupsCommand,
  AttachTrafficSourcesCommand,
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DeletePolicyCommand,
  DeleteTagsCommand,
  DescribeAccountLimitsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DetachLoadBalancerTargetGroupsCommand,
  DetachTrafficSourcesCommand,
  ExecutePolicyCommand,
  PutScalingPolicyCommand,
  paginateDescribeAutoScalingGroups,
  paginateDescribeAutoScalingInstances,
  paginateDescribeLoadBalancerTargetGroups,
  paginateDescribePolicies,
  paginateDescribeScalingActivities,
  paginateDescribeTags,
  paginateDescribeTrafficSources,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  paginateDescribeLaunchTemplates,
  paginateDescribeLaunchTemplateVersions,
} from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const decoded = (data: string | undefined) => Buffer.from(data ?? "", "base64").toString("utf8");

describe("EC2 launch templates through the SDK", () => {
  test("ImageId and UserData become the container, versions, pagination and errors", async () => {
    const { ec2 } = api.clients();
    const userData = {
      command: ["node", "/app/server.js"],
      environment: { MODE: "demo" },
      containerPort: 8080,
    };
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "app",
        VersionDescription: "first",
        LaunchTemplateData: {
          ImageId: "scaleout/example:latest",
          UserData: base64(JSON.stringify(userData)),
        },
        TagSpecifications: [{ ResourceType: "launch-template", Tags: [{ Key: "team", Value: "web" }] }],
      }),
    );
    expect(created.LaunchTemplate).toMatchObject({
      LaunchTemplateId: expect.stringMatching(/^lt-[0-9a-f]{17}$/),
      LaunchTemplateName: "app",
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      CreatedBy: "arn:aws:iam::000000000000:root",
      Tags: [{ Key: "team", Value: "web" }],
    });
    expect(created.LaunchTemplate?.CreateTime).toBeInstanceOf(Date);
    const id = created.LaunchTemplate?.LaunchTemplateId ?? "";
    // The REST door sees the same template, mapped as docs/aws-compatibility.md says.
    const rest = await api.app.inject({ method: "GET", url: "/v1/launch-templates/app" });
    expect(rest.json()).toMatchObject({
      image: "scaleout/example:latest",
      command: ["node", "/app/server.js"],
      environment: { MODE: "demo" },
      containerPort: 8080,
    });

    const version = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        SourceVersion: "1",
        VersionDescription: "a script",
        LaunchTemplateData: { UserData: base64("#!/bin/sh\nexec node /app/server.js --port $PORT\n") },
      }),
    );
    expect(version.LaunchTemplateVersion).toMatchObject({
      LaunchTemplateId: id,
      VersionNumber: 2,
      VersionDescription: "a script",
      DefaultVersion: false,
      LaunchTemplateData: { ImageId: "scaleout/example:latest" },
    });
    expect(decoded(version.LaunchTemplateVersion?.LaunchTemplateData?.UserData)).toContain('"environment"');

    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "app" }));
    expect(versions.LaunchTemplateVersions?.map((v) => [v.VersionNumber, v.DefaultVersion])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(JSON.parse(decoded(versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData))).toEqual(
      userData,
    );
    const latest = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["$Latest"] }),
    );
    expect(latest.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([2]);

    // A template of only a script runs it with /bin/sh -c, and describes it back as the script.
    const script = "while true; do sleep 1; done";
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "script",
        LaunchTemplateData: { UserData: base64(script) },
      }),
    );
    const scripted = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "script" }),
    );
    expect(decoded(scripted.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData)).toBe(script);
    const restScript = await api.app.inject({ method: "GET", url: "/v1/launch-templates/script" });
    expect(restScript.json().command).toEqual(["/bin/sh", "-c", script]);

    // Pagination of both describes.
    for (let i = 0; i < 5; i++) {
      await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: `page-${i}`,
          LaunchTemplateData: { ImageId: "nginx:1.27" },
        }),
      );
      await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateName: "script",
          SourceVersion: "$Latest",
          // Accepted and ignored: the new version is the source's.
          LaunchTemplateData: { InstanceType: "t3.micro" },
        }),
      );
    }
    const templates = await collect(
      paginateDescribeLaunchTemplates({ client: ec2, pageSize: 3 }, {}),
      (page) => page.LaunchTemplates,
    );
    expect(templates.items.map((t) => t.LaunchTemplateName)).toEqual([
      "app",
      "page-0",
      "page-1",
      "page-2",
      "page-3",
      "page-4",
      "script",
    ]);
    expect(templates.pages).toBe(3);
    const allVersions = await collect(
      paginateDescribeLaunchTemplateVersions({ client: ec2, pageSize: 2 }, { LaunchTemplateName: "script" }),
      (page) => page.LaunchTemplateVersions,
    );
    expect(allVersions.items.map((v) => v.VersionNumber)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(allVersions.pages).toBe(3);
    const byFilter = await ec2.send(
      new DescribeLaunchTemplatesCommand({ Filters: [{ Name: "launch-template-name", Values: ["page-1"] }] }),
    );
    expect(byFilter.LaunchTemplates?.map((t) => t.LaunchTemplateName)).toEqual(["page-1"]);

    // Errors, in EC2's codes.
    const duplicate = await failure(
      ec2.send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: "app", LaunchTemplateData: { ImageId: "x" } }),
      ),
    );
    expect(duplicate.name).toBe("InvalidLaunchTemplateName.AlreadyExistsException");
    expect(duplicate.$metadata).toMatchObject({ httpStatusCode: 400 });
    const missing = await failure(
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: "nope" })),
    );
    expect(missing.name).toBe("InvalidLaunchTemplateName.NotFoundException");
    const noData = await failure(
      ec2.send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: "empty", LaunchTemplateData: undefined }),
      ),
    );
    expect(noData.name).toBe("MissingParameter");
    const badUserData = await failure(
      ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: "bad",
          LaunchTemplateData: { UserData: "%%%" },
        }),
      ),
    );
    expect(badUserData.name).toBe("InvalidUserData.Malformed");
    const malformedName = await failure(
      ec2.send(
        new CreateLaunchTemplateCommand({ LaunchTemplateName: "a", LaunchTemplateData: { ImageId: "x" } }),
      ),
    );
    expect(malformedName.name).toBe("InvalidLaunchTemplateName.MalformedException");

    const deleted = await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: "page-4" }));
    expect(deleted.LaunchTemplate?.LaunchTemplateName).toBe("page-4");
  });
});

describe("EC2 Auto Scaling through the SDK", () => {
  test("a group with target groups, a target tracking policy, capacity, instances, activities and tags", async () => {
    const { autoScaling, ec2, elbv2, cloudWatch } = api.clients({ region: "eu-west-1" });
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "web-template",
        LaunchTemplateData: {
          ImageId: "nginx:1.27",
          UserData: base64(JSON.stringify({ containerPort: 80 })),
        },
      }),
    );
    const tgArns: string[] = [];
    for (const name of ["asg-a", "asg-b", "asg-c"]) {
      const created = await elbv2.send(
        new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, TargetType: "ip" }),
      );
      tgArns.push(created.TargetGroups?.[0]?.TargetGroupArn ?? "");
    }
    const [tgA = "", tgB = "", tgC = ""] = tgArns;

    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "web",
        LaunchTemplate: { LaunchTemplateName: "web-template", Version: "$Latest" },
        MinSize: 1,
        MaxSize: 5,
        DesiredCapacity: 1,
        TargetGroupARNs: [tgA],
        TrafficSources: [{ Identifier: tgB, Type: "elbv2" }],
        HealthCheckType: "ELB",
        HealthCheckGracePeriod: 0,
        VPCZoneIdentifier: "subnet-1,subnet-2",
        Tags: [
          { Key: "env", Value: "staging", PropagateAtLaunch: true },
          { Key: "owner", Value: "web", PropagateAtLaunch: false },
        ],
      }),
    );
    const described = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["web"] }),
    );
    const group = described.AutoScalingGroups?.[0];
    expect(group).toMatchObject({
      AutoScalingGroupName: "web",
      AutoScalingGroupARN: expect.stringMatching(
        /^arn:aws:autoscaling:eu-west-1:000000000000:autoScalingGroup:/,
      ),
      LaunchTemplate: { LaunchTemplateName: "web-template", Version: "$Latest" },
      MinSize: 1,
      MaxSize: 5,
      DesiredCapacity: 1,
      HealthCheckType: "ELB",
      TargetGroupARNs: [tgA, tgB].sort(),
      TrafficSources: expect.arrayContaining([{ Identifier: tgA, Type: "elbv2" }]),
      Tags: [
        {
          ResourceId: "web",
          ResourceType: "auto-scaling-group",
          Key: "env",
          Value: "staging",
          PropagateAtLaunch: true,
        },
        {
          ResourceId: "web",
          ResourceType: "auto-scaling-group",
          Key: "owner",
          Value: "web",
          PropagateAtLaunch: false,
        },
      ],
    });
    expect(api.events.groups).toContainEqual({ name: "web", reason: "group created" });

    // Target tracking: the policy owns its alarms, which DescribePolicies and DescribeAlarms both show.
    const policy = await autoScaling.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: "web",
        PolicyName: "cpu50",
        PolicyType: "TargetTrackingScaling",
        TargetTrackingConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: "ASGAverageCPUUtilization" },
          TargetValue: 50,
        },
      }),
    );
    expect(policy.PolicyARN).toMatch(
      /^arn:aws:autoscaling:eu-west-1:000000000000:scalingPolicy:.*:policyName\/cpu50$/,
    );
    expect(policy.Alarms?.map((a) => a.AlarmName)).toEqual([
      expect.stringMatching(/^TargetTracking-web-AlarmHigh-/),
      expect.stringMatching(/^TargetTracking-web-AlarmLow-/),
    ]);
    const policies = await autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: "web" }));
    expect(policies.ScalingPolicies?.[0]).toMatchObject({
      PolicyName: "cpu50",
      PolicyType: "TargetTrackingScaling",
      Enabled: true,
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: "ASGAverageCPUUtilization" },
        TargetValue: 50,
        DisableScaleIn: false,
      },
      Alarms: policy.Alarms,
    });
    const alarms = await cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: "TargetTracking-web-" }),
    );
    expect(alarms.MetricAlarms?.map((a) => a.AlarmActions)).toEqual([[policy.PolicyARN], [policy.PolicyARN]]);
    await autoScaling.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: "web",
        PolicyName: "add-one",
        AdjustmentType: "ChangeInCapacity",
        ScalingAdjustment: 1,
        Cooldown: 0,
      }),
    );

    // Capacity.
    await autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: "web", DesiredCapacity: 2 }),
    );
    await autoScaling.send(new ExecutePolicyCommand({ AutoScalingGroupName: "web", PolicyName: "add-one" }));
    await autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: "web", MaxSize: 6 }));
    const resized = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["web"] }),
    );
    expect(resized.AutoScalingGroups?.[0]).toMatchObject({ DesiredCapacity: 3, MaxSize: 6 });
    const tooMany = await failure(
      autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "web", DesiredCapacity: 9 })),
    );
    expect(tooMany.name).toBe("ValidationError");
    expect(tooMany.message).toMatch(/above max value 6/);

    // The worker is not running here: the test launches the instances the reconciler would.
    const launched = api.launch("web", 3);
    const instances = await collect(
      paginateDescribeAutoScalingInstances({ client: autoScaling, pageSize: 2 }, {}),
      (page) => page.AutoScalingInstances,
    );
    expect(instances.items.map((i) => i.InstanceId).sort()).toEqual([...launched].sort());
    expect(instances.pages).toBe(2);
    expect(instances.items[0]).toMatchObject({
      AutoScalingGroupName: "web",
      LifecycleState: "InService",
      HealthStatus: "Healthy",
      AvailabilityZone: "us-east-1a",
      InstanceType: "local.process",
      LaunchTemplate: { LaunchTemplateName: "web-template", Version: "1" },
    });
    const [first = "", second = ""] = launched;

    // TerminateInstanceInAutoScalingGroup: Terminating, and the group announced for the reconciler.
    api.events.groups.length = 0;
    const terminated = await autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: first,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(terminated.Activity).toMatchObject({
      AutoScalingGroupName: "web",
      Description: `Terminating EC2 instance: ${first}`,
      Cause: expect.stringMatching(
        new RegExp(
          `instance ${first} was taken out of service in response to a user request, shrinking the capacity from 3 to 2\\.$`,
        ),
      ),
      StatusCode: "InProgress",
      Progress: 0,
    });
    expect(terminated.Activity?.StartTime).toBeInstanceOf(Date);
    expect(api.events.groups.map((g) => g.name)).toContain("web");
    await autoScaling.send(
      new SetInstanceHealthCommand({
        InstanceId: second,
        HealthStatus: "Unhealthy",
        ShouldRespectGracePeriod: false,
      }),
    );
    const afterActions = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["web"] }),
    );
    const states = Object.fromEntries(
      (afterActions.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => [
        i.InstanceId,
        [i.LifecycleState, i.HealthStatus],
      ]),
    );
    expect(states[first]).toEqual(["Terminating", "Healthy"]);
    expect(states[second]).toEqual(["Terminating", "Unhealthy"]);
    // Unhealthy is replaced, not removed: the desired capacity stays.
    expect(afterActions.AutoScalingGroups?.[0]?.DesiredCapacity).toBe(2);
    const notManaged = await failure(
      autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: "i-00000000000000000",
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    );
    expect(notManaged.name).toBe("ValidationError");

    const activities = await collect(
      paginateDescribeScalingActivities(
        { client: autoScaling, pageSize: 2 },
        { AutoScalingGroupName: "web" },
      ),
      (page) => page.Activities,
    );
    expect(activities.items.map((a) => a.Description)).toEqual(
      expect.arrayContaining([
        `Terminating EC2 instance: ${first}`,
        `Terminating EC2 instance: ${second}`,
        ...launched.map((id) => `Launching a new EC2 instance: ${id}`),
      ]),
    );
    expect(activities.items).toHaveLength(5);
    expect(activities.pages).toBe(3);

    // Target groups and traffic sources.
    await autoScaling.send(
      new AttachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: "web", TargetGroupARNs: [tgC] }),
    );
    const attached = await collect(
      paginateDescribeLoadBalancerTargetGroups(
        { client: autoScaling, pageSize: 2 },
        { AutoScalingGroupName: "web" },
      ),
      (page) => page.LoadBalancerTargetGroups,
    );
    expect(attached.items.map((t) => t.LoadBalancerTargetGroupARN).sort()).toEqual([tgA, tgB, tgC].sort());
    expect(attached.items[0]?.State).toBe("InService");
    expect(attached.pages).toBe(2);
    await autoScaling.send(
      new DetachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: "web", TargetGroupARNs: [tgC] }),
    );
    await autoScaling.send(
      new DetachTrafficSourcesCommand({ AutoScalingGroupName: "web", TrafficSources: [{ Identifier: tgB }] }),
    );
    await autoScaling.send(
      new AttachTrafficSourcesCommand({
        AutoScalingGroupName: "web",
        TrafficSources: [{ Identifier: tgC, Type: "elbv2" }],
      }),
    );
    const sources = await collect(
      paginateDescribeTrafficSources({ client: autoScaling, pageSize: 1 }, { AutoScalingGroupName: "web" }),
      (page) => page.TrafficSources,
    );
    expect(sources.items.map((s) => [s.Identifier, s.Type]).sort()).toEqual(
      [
        [tgA, "elbv2"],
        [tgC, "elbv2"],
      ].sort(),
    );
    expect(sources.pages).toBe(2);
    const lattice = await failure(
      autoScaling.send(
        new AttachTrafficSourcesCommand({
          AutoScalingGroupName: "web",
          TrafficSources: [{ Identifier: "arn:aws:vpc-lattice:x", Type: "vpc-lattice" }],
        }),
      ),
    );
    expect(lattice.name).toBe("ValidationError");

    // Tags.
    await autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: "web",
            ResourceType: "auto-scaling-group",
            Key: "owner",
            Value: "platform",
            PropagateAtLaunch: true,
          },
          { ResourceId: "web", ResourceType: "auto-scaling-group", Key: "tier", Value: "front" },
        ],
      }),
    );
    await autoScaling.send(
      new DeleteTagsCommand({
        Tags: [{ ResourceId: "web", ResourceType: "auto-scaling-group", Key: "env" }],
      }),
    );
    const tags = await collect(
      paginateDescribeTags(
        { client: autoScaling, pageSize: 1 },
        { Filters: [{ Name: "auto-scaling-group", Values: ["web"] }] },
      ),
      (page) => page.Tags,
    );
    expect(tags.items).toEqual([
      {
        ResourceId: "web",
        ResourceType: "auto-scaling-group",
        Key: "owner",
        Value: "platform",
        PropagateAtLaunch: true,
      },
      {
        ResourceId: "web",
        ResourceType: "auto-scaling-group",
        Key: "tier",
        Value: "front",
        PropagateAtLaunch: false,
      },
    ]);
    expect(tags.pages).toBe(2);
    const byTag = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: "tag:tier", Values: ["front"] }] }),
    );
    expect(byTag.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(["web"]);

    // Errors.
    const exists = await failure(
      autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: "web",
          LaunchTemplate: { LaunchTemplateName: "web-template" },
          MinSize: 0,
          MaxSize: 1,
        }),
      ),
    );
    expect(exists.name).toBe("AlreadyExistsFault");
    const noGroup = await failure(
      autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "nope", DesiredCapacity: 1 })),
    );
    expect(noGroup.name).toBe("ValidationError");
    expect(noGroup.message).toMatch(/AutoScalingGroup name not found/);
    const inUse = await failure(
      autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "web" })),
    );
    expect(inUse.name).toBe("ResourceInUseFault");
    const noTemplate = await failure(
      autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: "orphan",
          LaunchTemplate: { LaunchTemplateName: "missing" },
          MinSize: 0,
          MaxSize: 1,
        }),
      ),
    );
    expect(noTemplate.name).toBe("ValidationError");
    const launchConfiguration = await failure(
      autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: "legacy",
          LaunchConfigurationName: "lc",
          MinSize: 0,
          MaxSize: 1,
        }),
      ),
    );
    expect(launchConfiguration.name).toBe("ValidationError");
    expect(launchConfiguration.message).toMatch(/Launch configurations are not supported/);
    const templateInUse = await failure(
      ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: "web-template" })),
    );
    expect(templateInUse.name).toBe("ResourceInUse");

    await autoScaling.send(new DeletePolicyCommand({ AutoScalingGroupName: "web", PolicyName: "add-one" }));
    await autoScaling.send(new DeletePolicyCommand({ PolicyName: policy.PolicyARN }));
    expect(
      (await autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: "web" }))).ScalingPolicies,
    ).toEqual([]);
    await autoScaling.send(
      new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "web", ForceDelete: true }),
    );
    const deleting = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["web"] }),
    );
    expect(deleting.AutoScalingGroups?.[0]).toMatchObject({
      Status: "Delete in progress",
      DesiredCapacity: 0,
    });
  });

  test("groups and policies page with the SDK paginators; account limits", async () => {
    const { autoScaling, ec2 } = api.clients();
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "paged",
        LaunchTemplateData: { ImageId: "nginx:1.27" },
      }),
    );
    for (let i = 0; i < 5; i++) {
      await autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: `paged-${i}`,
          LaunchTemplate: { LaunchTemplateName: "paged" },
          MinSize: 0,
          MaxSize: 2,
        }),
      );
      await autoScaling.send(
        new PutScalingPolicyCommand({
          AutoScalingGroupName: `paged-${i}`,
          PolicyName: "step",
          PolicyType: "StepScaling",
          AdjustmentType: "ChangeInCapacity",
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
        }),
      );
    }
    const groups = await collect(
      paginateDescribeAutoScalingGroups(
        { client: autoScaling, pageSize: 2 },
        {
          AutoScalingGroupNames: Array.from({ length: 5 }, (_, i) => `paged-${i}`),
        },
      ),
      (page) => page.AutoScalingGroups,
    );
    expect(groups.items.map((g) => g.AutoScalingGroupName)).toEqual([
      "paged-0",
      "paged-1",
      "paged-2",
      "paged-3",
      "paged-4",
    ]);
    expect(groups.pages).toBe(3);
    const policies = await collect(
      paginateDescribePolicies({ client: autoScaling, pageSize: 2 }, { PolicyTypes: ["StepScaling"] }),
      (page) => page.ScalingPolicies,
    );
    expect(policies.items).toHaveLength(5);
    expect(policies.items[0]?.StepAdjustments).toEqual([
      { MetricIntervalLowerBound: 0, ScalingAdjustment: 1 },
    ]);
    expect(policies.pages).toBe(3);
    const limits = await autoScaling.send(new DescribeAccountLimitsCommand({}));
    expect(limits).toMatchObject({
      MaxNumberOfAutoScalingGroups: 500,
      NumberOfAutoScalingGroups: expect.any(Number),
    });
    const tooLarge = await failure(
      autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })),
    );
    expect(tooLarge.name).toBe("ValidationError");
  });
});
