import {
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  GetLaunchTemplateDataCommand,
  ModifyLaunchTemplateCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

/*
 * Launch template versions and instance refresh requests through the SDKs and REST, without a worker
 * (the end-to-end test, tests/e2e/instance-refresh.test.ts, watches a worker carry a refresh out).
 */

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const userData = (version: string) =>
  Buffer.from(JSON.stringify({ command: ["node", "app.js"], environment: { V: version } })).toString(
    "base64",
  );

describe("launch template versions", () => {
  test("ModifyLaunchTemplate, GetLaunchTemplateData and the version each instance was launched from", async () => {
    const { ec2, autoScaling } = api.clients();
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "lt-versions",
        LaunchTemplateData: { UserData: userData("1") },
      }),
    );
    const id = created.LaunchTemplate?.LaunchTemplateId ?? "";
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { UserData: userData("2") },
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "versions",
        LaunchTemplate: { LaunchTemplateId: id, Version: "$Default" },
        MinSize: 0,
        MaxSize: 3,
      }),
    );
    const [first = ""] = api.launch("versions", 1);

    const modified = await ec2.send(
      new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "2" }),
    );
    expect(modified.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 });
    const [second = ""] = api.launch("versions", 1);
    const instances = await autoScaling.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [first, second] }),
    );
    expect(instances.AutoScalingInstances?.map((i) => [i.InstanceId, i.LaunchTemplate]).sort()).toEqual(
      [
        [first, { LaunchTemplateId: id, LaunchTemplateName: "lt-versions", Version: "1" }],
        [second, { LaunchTemplateId: id, LaunchTemplateName: "lt-versions", Version: "2" }],
      ].sort(),
    );
    const data = await ec2.send(new GetLaunchTemplateDataCommand({ InstanceId: first }));
    expect(Buffer.from(data.LaunchTemplateData?.UserData ?? "", "base64").toString()).toContain('"V":"1"');

    await ec2.send(
      new ModifyLaunchTemplateCommand({ LaunchTemplateName: "lt-versions", DefaultVersion: "$Latest" }),
    );
    const described = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }));
    expect(described.LaunchTemplates?.[0]?.DefaultVersionNumber).toBe(2);

    expect(
      (
        await failure(
          ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "9" })),
        )
      ).name,
    ).toBe("InvalidLaunchTemplateId.VersionNotFound");
    expect(
      (
        await failure(
          ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: id, DefaultVersion: "two" })),
        )
      ).name,
    ).toBe("InvalidParameterValue");
    expect(
      (await failure(ec2.send(new GetLaunchTemplateDataCommand({ InstanceId: "i-0123456789abcdef0" })))).name,
    ).toBe("InvalidInstanceID.NotFound");
    expect((await failure(ec2.send(new GetLaunchTemplateDataCommand({ InstanceId: "nope" })))).name).toBe(
      "InvalidInstanceID.Malformed",
    );

    // The REST door: the same operations.
    const patched = await api.app.inject({
      method: "PATCH",
      url: "/v1/launch-templates/lt-versions",
      payload: { defaultVersion: "1" },
    });
    expect(patched.json()).toMatchObject({ defaultVersionNumber: 1 });
    const version = await api.app.inject({
      method: "POST",
      url: "/v1/launch-templates/lt-versions/versions",
      payload: { sourceVersion: "1", environment: { V: "3" } },
    });
    expect(version.statusCode).toBe(201);
    expect(version.json()).toMatchObject({
      versionNumber: 3,
      command: ["node", "app.js"],
      environment: { V: "3" },
    });
    const versions = await api.app.inject({
      method: "GET",
      url: "/v1/launch-templates/lt-versions/versions",
    });
    expect(versions.json().launchTemplateVersions).toHaveLength(3);
    const instanceData = await api.app.inject({
      method: "GET",
      url: `/v1/instances/${second}/launch-template-data`,
    });
    expect(instanceData.json()).toMatchObject({ versionNumber: 2, environment: { V: "2" } });
    expect(
      (await api.app.inject({ method: "GET", url: "/v1/instances/i-0123456789abcdef0/launch-template-data" }))
        .statusCode,
    ).toBe(404);
  });
});

describe("instance refresh requests", () => {
  test("validation, one at a time, cancel, rollback's conditions and pagination", async () => {
    const { ec2, autoScaling } = api.clients();
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "lt-refresh",
        LaunchTemplateData: { UserData: userData("1") },
      }),
    );
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateName: "lt-refresh",
        LaunchTemplateData: { UserData: userData("2") },
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "refreshing",
        LaunchTemplate: { LaunchTemplateName: "lt-refresh", Version: "1" },
        MinSize: 0,
        MaxSize: 3,
      }),
    );
    const start = (
      input: Omit<ConstructorParameters<typeof StartInstanceRefreshCommand>[0], "AutoScalingGroupName">,
    ) => autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: "refreshing", ...input }));
    const invalid = [
      { Preferences: { MaxHealthyPercentage: 150 } },
      { Preferences: { MinHealthyPercentage: 50, MaxHealthyPercentage: 200 } },
      { Preferences: { CheckpointPercentages: [50, 20] } },
      { Preferences: { CheckpointDelay: 60 } },
      { Preferences: { AutoRollback: true } },
      { Strategy: "ReplaceRootVolume" as const },
    ];
    for (const input of invalid) {
      const error = await failure(start(input));
      expect(error.name, JSON.stringify(input)).toBe("ValidationError");
    }
    expect((await failure(start({ Preferences: { MinHealthyPercentage: 101 } }))).name).toBe(
      "ValidationError",
    );
    expect(
      (
        await failure(
          autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: "refreshing" })),
        )
      ).name,
    ).toBe("ActiveInstanceRefreshNotFoundFault");

    const { InstanceRefreshId: first } = await start({});
    expect((await failure(start({}))).name).toBe("InstanceRefreshInProgressFault");
    // Without a desired configuration there is nothing to go back to.
    expect(
      (
        await failure(
          autoScaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: "refreshing" })),
        )
      ).name,
    ).toBe("IrreversibleInstanceRefreshFault");
    // A refresh the worker has not picked up yet is cancelled at once.
    const cancelled = await autoScaling.send(
      new CancelInstanceRefreshCommand({ AutoScalingGroupName: "refreshing" }),
    );
    expect(cancelled.InstanceRefreshId).toBe(first);

    const { InstanceRefreshId: second } = await start({
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: "lt-refresh", Version: "2" } },
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        CheckpointPercentages: [50, 100],
        AutoRollback: true,
      },
    });
    const rolledBack = await autoScaling.send(
      new RollbackInstanceRefreshCommand({ AutoScalingGroupName: "refreshing" }),
    );
    expect(rolledBack.InstanceRefreshId).toBe(second);

    const page1 = await autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: "refreshing", MaxRecords: 1 }),
    );
    expect(page1.InstanceRefreshes?.[0]).toMatchObject({
      InstanceRefreshId: second,
      Status: "RollbackInProgress",
      Strategy: "Rolling",
      Preferences: {
        MinHealthyPercentage: 100,
        MaxHealthyPercentage: 200,
        CheckpointPercentages: [50, 100],
        CheckpointDelay: 3600,
        AutoRollback: true,
        SkipMatching: false,
        ScaleInProtectedInstances: "Ignore",
        StandbyInstances: "Ignore",
      },
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: "lt-refresh", Version: "2" } },
      RollbackDetails: { RollbackReason: expect.stringContaining("RollbackInstanceRefresh") },
    });
    expect(page1.NextToken).toBeDefined();
    const page2 = await autoScaling.send(
      new DescribeInstanceRefreshesCommand({
        AutoScalingGroupName: "refreshing",
        MaxRecords: 1,
        NextToken: page1.NextToken,
      }),
    );
    expect(page2.InstanceRefreshes?.map((r) => [r.InstanceRefreshId, r.Status])).toEqual([
      [first, "Cancelled"],
    ]);
    expect(page2.NextToken).toBeUndefined();

    // REST: the same refreshes.
    const listed = await api.app.inject({
      method: "GET",
      url: "/v1/auto-scaling-groups/refreshing/instance-refreshes",
    });
    expect(listed.json().instanceRefreshes.map((r: { status: string }) => r.status)).toEqual([
      "RollbackInProgress",
      "Cancelled",
    ]);
    const busy = await api.app.inject({
      method: "POST",
      url: "/v1/auto-scaling-groups/refreshing/instance-refreshes",
      payload: {},
    });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe("InstanceRefreshInProgress");
  });
});
