import {
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DeleteLifecycleHookCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DescribeLifecycleHookTypesCommand,
  DescribeScalingActivitiesCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
} from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

// Lifecycle hooks over the Auto Scaling door, without a worker: the api's `launch` stands in for it
// (completeLaunch), so an instance of a hooked group lands in Pending:Wait with one action per hook.
// apps/api/test/lifecycle-hooks-worker.system.test.ts runs the real worker.

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const launching = "autoscaling:EC2_INSTANCE_LAUNCHING";
const terminating = "autoscaling:EC2_INSTANCE_TERMINATING";

async function group(name: string, hooks?: Array<Record<string, unknown>>) {
  const { ec2, autoScaling } = api.clients();
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `lt-${name}`,
      LaunchTemplateData: { ImageId: "scaleout/example:latest" },
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: `lt-${name}` },
      MinSize: 0,
      MaxSize: 3,
      ...(hooks && { LifecycleHookSpecificationList: hooks as never }),
    }),
  );
}

describe("lifecycle hooks through the SDK", () => {
  test("PutLifecycleHook creates and updates, Describe lists, Delete removes; AWS's validation", async () => {
    const { autoScaling } = api.clients();
    await group("hooked");
    await autoScaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: "hooked",
        LifecycleHookName: "bootstrap",
        LifecycleTransition: launching,
        NotificationMetadata: '{"role":"web"}',
      }),
    );
    // An update keeps what it does not name.
    await autoScaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: "hooked",
        LifecycleHookName: "bootstrap",
        HeartbeatTimeout: 120,
        DefaultResult: "CONTINUE",
      }),
    );
    const described = await autoScaling.send(
      new DescribeLifecycleHooksCommand({ AutoScalingGroupName: "hooked" }),
    );
    expect(described.LifecycleHooks).toEqual([
      {
        LifecycleHookName: "bootstrap",
        AutoScalingGroupName: "hooked",
        LifecycleTransition: launching,
        NotificationMetadata: '{"role":"web"}',
        HeartbeatTimeout: 120,
        GlobalTimeout: 12_000,
        DefaultResult: "CONTINUE",
      },
    ]);
    const types = await autoScaling.send(new DescribeLifecycleHookTypesCommand({}));
    expect(types.LifecycleHookTypes).toEqual([launching, terminating]);

    const bad = [
      [{ LifecycleHookName: "new-hook" }, /LifecycleTransition must be specified/],
      [
        { LifecycleHookName: "x", LifecycleTransition: "autoscaling:EC2_INSTANCE_STARTING" },
        /Invalid Lifecycle Transition/,
      ],
      [
        { LifecycleHookName: "x", LifecycleTransition: launching, HeartbeatTimeout: 29 },
        /between 30 and 7200/,
      ],
      [
        { LifecycleHookName: "x", LifecycleTransition: launching, HeartbeatTimeout: 7201 },
        /between 30 and 7200/,
      ],
      [
        { LifecycleHookName: "x", LifecycleTransition: launching, DefaultResult: "RETRY" },
        /CONTINUE and ABANDON/,
      ],
      [{ LifecycleHookName: "bad name!", LifecycleTransition: launching }, /regular expression/],
      [
        { LifecycleHookName: "x", LifecycleTransition: launching, NotificationMetadata: "m".repeat(1024) },
        /1023/,
      ],
    ] as const;
    for (const [input, message] of bad) {
      const error = await failure(
        autoScaling.send(new PutLifecycleHookCommand({ AutoScalingGroupName: "hooked", ...input })),
      );
      expect(error.name, JSON.stringify(input)).toBe("ValidationError");
      expect(error.message).toMatch(message);
    }
    const missing = await failure(
      autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: "nope",
          LifecycleHookName: "x",
          LifecycleTransition: launching,
        }),
      ),
    );
    expect(missing.name).toBe("ValidationError");

    // 50 hooks a group.
    for (let i = 1; i < 50; i++) {
      await autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: "hooked",
          LifecycleHookName: `h${i}`,
          LifecycleTransition: terminating,
        }),
      );
    }
    const limit = await failure(
      autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: "hooked",
          LifecycleHookName: "one-too-many",
          LifecycleTransition: terminating,
        }),
      ),
    );
    expect(limit.name).toBe("LimitExceededFault");
    for (let i = 1; i < 50; i++) {
      await autoScaling.send(
        new DeleteLifecycleHookCommand({ AutoScalingGroupName: "hooked", LifecycleHookName: `h${i}` }),
      );
    }
    const gone = await failure(
      autoScaling.send(
        new DeleteLifecycleHookCommand({ AutoScalingGroupName: "hooked", LifecycleHookName: "h1" }),
      ),
    );
    expect(gone.name).toBe("ValidationError");
    const named = await autoScaling.send(
      new DescribeLifecycleHooksCommand({
        AutoScalingGroupName: "hooked",
        LifecycleHookNames: ["bootstrap", "h1"],
      }),
    );
    expect(named.LifecycleHooks?.map((h) => h.LifecycleHookName)).toEqual(["bootstrap"]);
  });

  test("hooks from CreateAutoScalingGroup hold the first instance; CompleteLifecycleAction and heartbeats with AWS's errors", async () => {
    const { autoScaling } = api.clients();
    await group("first", [
      { LifecycleHookName: "warm", LifecycleTransition: launching, HeartbeatTimeout: 300 },
      { LifecycleHookName: "drain", LifecycleTransition: terminating },
    ]);
    const [instanceId = ""] = api.launch("first", 1);
    const instances = await autoScaling.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
    );
    expect(instances.AutoScalingInstances?.[0]?.LifecycleState).toBe("Pending:Wait");
    const activities = await autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: "first" }),
    );
    expect(activities.Activities?.[0]).toMatchObject({
      Description: `Launching a new EC2 instance: ${instanceId}`,
      StatusCode: "MidLifecycleAction",
    });

    const wrongToken = "11111111-2222-3333-4444-555555555555";
    const byToken = await failure(
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: "first",
          LifecycleHookName: "warm",
          LifecycleActionToken: wrongToken,
          LifecycleActionResult: "CONTINUE",
        }),
      ),
    );
    expect(byToken.name).toBe("ValidationError");
    expect(byToken.message).toBe(`No active Lifecycle Action found with token ${wrongToken}`);
    // The termination hook has no action for this instance: it is not terminating.
    const notWaiting = await failure(
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: "first",
          LifecycleHookName: "drain",
          InstanceId: instanceId,
          LifecycleActionResult: "CONTINUE",
        }),
      ),
    );
    expect(notWaiting.message).toBe(`No active Lifecycle Action found with instance ID ${instanceId}`);
    const badResult = await failure(
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: "first",
          LifecycleHookName: "warm",
          InstanceId: instanceId,
          LifecycleActionResult: "MAYBE",
        }),
      ),
    );
    expect(badResult.name).toBe("ValidationError");

    const [before] = api.services.lifecycleHooks.actions("first");
    await autoScaling.send(
      new RecordLifecycleActionHeartbeatCommand({
        AutoScalingGroupName: "first",
        LifecycleHookName: "warm",
        InstanceId: instanceId,
      }),
    );
    const [after] = api.services.lifecycleHooks.actions("first");
    expect(Date.parse(after?.heartbeatDeadline ?? "")).toBeGreaterThanOrEqual(
      Date.parse(before?.heartbeatDeadline ?? ""),
    );
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: "first",
        LifecycleHookName: "warm",
        LifecycleActionToken: before?.lifecycleActionToken,
        LifecycleActionResult: "CONTINUE",
      }),
    );
    expect(api.services.lifecycleHooks.actions("first")[0]?.result).toBe("CONTINUE");
    expect(api.events.groups).toContainEqual({ name: "first", reason: "lifecycle action CONTINUE" });
    // Completed once: the action is no longer active.
    const twice = await failure(
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: "first",
          LifecycleHookName: "warm",
          InstanceId: instanceId,
          LifecycleActionResult: "CONTINUE",
        }),
      ),
    );
    expect(twice.message).toBe(`No active Lifecycle Action found with instance ID ${instanceId}`);
  });
});
