// With SCALEOUT_API_TOKEN set, an instance signs with a key of its own (its id sealed with the token)
// that the AWS door accepts for the instance's own lifecycle calls only, through the real SDK v3 client.

import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import { instanceAccessKeyId } from "@scaleout/core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

const token = "s3cret-token";

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the call succeeded");
}

describe("an instance's own access key", () => {
  let api: AwsTestApi;
  let own: string;
  let other: string;
  beforeAll(async () => {
    api = await startAwsApi({ apiToken: token });
    api.services.launchTemplates.create({ launchTemplateName: "tpl", command: ["/bin/true"] });
    api.services.groups.create({
      autoScalingGroupName: "web",
      launchTemplate: { launchTemplateName: "tpl" },
      minSize: 0,
      maxSize: 4,
      desiredCapacity: 0,
    });
    [own = "", other = ""] = api.launch("web", 2);
    // The hook applies to launches from now on: these two never wait on it.
    await api.clients({ accessKeyId: token }).autoScaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: "web",
        LifecycleHookName: "launch",
        LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      }),
    );
  });
  afterAll(async () => {
    await api?.close();
  });

  test("describes its own instance", async () => {
    const { autoScaling } = api.clients({ accessKeyId: instanceAccessKeyId(token, own) });
    const described = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [own] }));
    expect(described.AutoScalingInstances?.map((i) => i.InstanceId)).toEqual([own]);
  });

  test("may complete and heartbeat its own lifecycle action (here none is waiting: AWS's ValidationError)", async () => {
    const { autoScaling } = api.clients({ accessKeyId: instanceAccessKeyId(token, own) });
    const input = { AutoScalingGroupName: "web", LifecycleHookName: "launch", InstanceId: own };
    const completed = await failure(
      autoScaling.send(new CompleteLifecycleActionCommand({ ...input, LifecycleActionResult: "CONTINUE" })),
    );
    expect(completed.name).toBe("ValidationError");
    expect(completed.message).toBe(`No active Lifecycle Action found with instance ID ${own}`);
    const heartbeat = await failure(autoScaling.send(new RecordLifecycleActionHeartbeatCommand(input)));
    expect(heartbeat.name).toBe("ValidationError");
  });

  test("is refused anything else with AWS's AccessDenied", async () => {
    const { autoScaling } = api.clients({ accessKeyId: instanceAccessKeyId(token, own) });
    const calls = {
      "another instance": () =>
        autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [other] })),
      "itself and another": () =>
        autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [own, other] })),
      "every instance": () => autoScaling.send(new DescribeAutoScalingInstancesCommand({})),
      "the groups": () => autoScaling.send(new DescribeAutoScalingGroupsCommand({})),
      "a capacity change": () =>
        autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "web", DesiredCapacity: 0 })),
      "another's lifecycle action": () =>
        autoScaling.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: "web",
            LifecycleHookName: "launch",
            LifecycleActionResult: "CONTINUE",
            InstanceId: other,
          }),
        ),
    };
    for (const [what, call] of Object.entries(calls)) {
      const refused = await failure(call());
      expect(refused.name, what).toBe("AccessDenied");
      expect(refused.$metadata?.httpStatusCode).toBe(403);
      expect(refused.message).toMatch(
        new RegExp(
          `^User: arn:aws:sts::000000000000:assumed-role/scaleout-instance/${own} is not authorized to perform: autoscaling:`,
        ),
      );
    }
    expect(api.services.groups.get("web").desiredCapacity).toBe(0);
  });

  test("a key sealed with another token, or another instance's id under this seal, is not a key", async () => {
    const forged = instanceAccessKeyId("another token", own);
    const swapped = instanceAccessKeyId(token, own).replace(own, other);
    for (const accessKeyId of [forged, swapped]) {
      const { autoScaling } = api.clients({ accessKeyId });
      const refused = await failure(
        autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [other] })),
      );
      expect(refused.name).toBe("InvalidClientTokenId");
    }
  });
});
