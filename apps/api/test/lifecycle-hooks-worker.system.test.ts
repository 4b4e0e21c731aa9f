// Lifecycle hooks acting on real instances: the SDK v3 Auto Scaling client against the api, a real
// worker process (process driver) launching and stopping the example app, and GET /v1/events read with a
// plain HTTP client. Fast mode: HeartbeatTimeout may be 1 s.
import {
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  type LifecycleHookSpecification,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, tempDir } from "@scaleout/testing";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { openEvents as openEventsAt } from "./event-stream-client.ts";
import { answers, answersWithin } from "./instance-answers.ts";
import { startWorkerSystem, type WorkerSystem } from "./worker-system.ts";

const openEvents = (query: string, headers: Record<string, string> = {}) =>
  openEventsAt(system.endpoint, query, headers);

const launching = "autoscaling:EC2_INSTANCE_LAUNCHING";
const terminating = "autoscaling:EC2_INSTANCE_TERMINATING";

let system: WorkerSystem;
const dir = tempDir();
beforeAll(async () => {
  system = await startWorkerSystem({
    redisUrl: inject("redisUrl"),
    prefix: `t${Math.random().toString(16).slice(2, 10)}`,
    dataDir: dir.dir,
  });
}, 90_000);
afterAll(async () => {
  await system?.close();
  dir.remove();
}, 60_000);

async function createGroup(
  name: string,
  hooks: LifecycleHookSpecification[],
  options: { desired?: number; targetGroup?: boolean } = {},
): Promise<string | undefined> {
  const { ec2, elbv2, autoScaling } = system.clients();
  const userData = Buffer.from(JSON.stringify({ command: system.exampleCommand })).toString("base64");
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `lt-${name}`,
      LaunchTemplateData: { UserData: userData },
    }),
  );
  let targetGroupArn: string | undefined;
  if (options.targetGroup) {
    const created = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: `tg-${name}`,
        Protocol: "HTTP",
        Port: 80,
        TargetType: "ip",
        VpcId: "vpc-local",
        HealthCheckPath: "/health",
      }),
    );
    targetGroupArn = created.TargetGroups?.[0]?.TargetGroupArn;
  }
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: `lt-${name}` },
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: options.desired ?? 1,
      ...(targetGroupArn && { TargetGroupARNs: [targetGroupArn] }),
      LifecycleHookSpecificationList: hooks,
    }),
  );
  return targetGroupArn;
}

async function instances(name: string) {
  const { autoScaling } = system.clients();
  const answer = await autoScaling.send(new DescribeAutoScalingInstancesCommand({}));
  return (answer.AutoScalingInstances ?? []).filter((i) => i.AutoScalingGroupName === name);
}

/** Waits until the group's only instance is in `state` (and, with `not`, is not that instance). */
function waitForState(name: string, state: string, options: { not?: string; timeoutMs?: number } = {}) {
  return eventually(
    async () => {
      const all = await instances(name);
      const match = all.find((i) => i.LifecycleState === state && i.InstanceId !== options.not);
      return match?.InstanceId;
    },
    {
      timeoutMs: options.timeoutMs ?? 30_000,
      intervalMs: 100,
      message: `an instance of ${name} in ${state}`,
    },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${system.output()}`);
  });
}

async function activities(name: string) {
  const { autoScaling } = system.clients();
  return (
    (await autoScaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name })))
      .Activities ?? []
  );
}

function portOf(instanceId: string): number {
  return system.services.groups.allInstances({ instanceIds: [instanceId] }).items[0]?.port ?? 0;
}

describe("lifecycle hooks with a real worker (process driver)", () => {
  test("a launch hook holds the instance in Pending:Wait, running but out of its target group, until CONTINUE; the events stream carries the notification", async () => {
    const name = "hold";
    const events = await openEvents(`?group=${name}`);
    await events.connected;
    const targetGroupArn = await createGroup(
      name,
      [
        {
          LifecycleHookName: "bootstrap",
          LifecycleTransition: launching,
          HeartbeatTimeout: 300,
          NotificationMetadata: '{"stage":"test"}',
        },
      ],
      { targetGroup: true },
    );
    const { autoScaling, elbv2 } = system.clients();
    const instanceId = await waitForState(name, "Pending:Wait");
    // The runtime runs it (its bootstrap could be running), but no traffic can reach it.
    expect(await answersWithin(portOf(instanceId), 10_000)).toBe(true);
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(health.TargetHealthDescriptions).toEqual([]);
    expect((await activities(name))[0]).toMatchObject({
      Description: `Launching a new EC2 instance: ${instanceId}`,
      StatusCode: "MidLifecycleAction",
    });

    const notification = await eventually(
      () => events.messages.find((m) => m.data["detail-type"] === "EC2 Instance-launch Lifecycle Action"),
      { message: "the lifecycle action notification" },
    );
    expect(notification.id).toMatch(/^\d+-\d+$/);
    expect(notification.data).toMatchObject({
      version: "0",
      source: "aws.autoscaling",
      account: expect.any(String),
      region: expect.any(String),
      resources: [expect.stringMatching(/^arn:aws:autoscaling:.*:autoScalingGroupName\/hold$/)],
      detail: {
        LifecycleActionToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
        AutoScalingGroupName: name,
        LifecycleHookName: "bootstrap",
        EC2InstanceId: instanceId,
        LifecycleTransition: launching,
        NotificationMetadata: '{"stage":"test"}',
        Origin: "EC2",
        Destination: "AutoScalingGroup",
      },
    });

    // Still waiting a while later: nothing but the action moves it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await instances(name))[0]?.LifecycleState).toBe("Pending:Wait");

    const completedAt = performance.now();
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: name,
        LifecycleHookName: "bootstrap",
        InstanceId: instanceId,
        LifecycleActionResult: "CONTINUE",
      }),
    );
    // The completion asks for a pass; the group's job, parked between follow-ups, runs within ~250 ms.
    await eventually(
      () =>
        system.services.groups.allInstances({ instanceIds: [instanceId] }).items[0]?.lifecycleState ===
        "InService"
          ? true
          : undefined,
      { intervalMs: 5, timeoutMs: 20_000, message: "InService" },
    );
    process.stdout.write(
      `lifecycle hooks: CompleteLifecycleAction → InService and registered in ${(performance.now() - completedAt).toFixed(0)} ms\n`,
    );
    const registered = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(registered.TargetHealthDescriptions?.map((t) => t.Target?.Port)).toEqual([portOf(instanceId)]);
    expect((await activities(name))[0]).toMatchObject({ StatusCode: "Successful", Progress: 100 });

    const launched = await eventually(
      () => events.messages.find((m) => m.data["detail-type"] === "EC2 Instance Launch Successful"),
      { message: "EC2 Instance Launch Successful" },
    );
    expect(launched.data).toMatchObject({ detail: { EC2InstanceId: instanceId, StatusCode: "Successful" } });

    // Resuming after the notification replays what followed it; a detail-type filter keeps only its own.
    const resumed = await openEvents(`?detail-type=${encodeURIComponent("EC2 Instance Launch Successful")}`, {
      "last-event-id": notification.id,
    });
    await resumed.connected;
    expect(resumed.messages.map((m) => m.id)).toContain(launched.id);
    expect(resumed.messages.every((m) => m.data["detail-type"] === "EC2 Instance Launch Successful")).toBe(
      true,
    );
    resumed.close();
    events.close();
  });

  test("ABANDON terminates the waiting instance, its launch activity is Cancelled with AWS's reason, and a replacement launches", async () => {
    const name = "abandon";
    await createGroup(name, [
      { LifecycleHookName: "gate", LifecycleTransition: launching, HeartbeatTimeout: 300 },
    ]);
    const { autoScaling } = system.clients();
    const first = await waitForState(name, "Pending:Wait");
    const port = portOf(first);
    const [action] = system.services.lifecycleHooks.actions(name);
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: name,
        LifecycleHookName: "gate",
        LifecycleActionToken: action?.lifecycleActionToken,
        LifecycleActionResult: "ABANDON",
      }),
    );
    const replacement = await waitForState(name, "Pending:Wait", { not: first });
    expect(replacement).not.toBe(first);
    expect((await instances(name)).map((i) => i.InstanceId)).toEqual([replacement]);
    const abandoned = (await activities(name)).find(
      (a) => a.Description === `Launching a new EC2 instance: ${first}`,
    );
    expect(abandoned).toMatchObject({
      StatusCode: "Cancelled",
      StatusMessage: `Instance failed to complete user's Lifecycle Action: Lifecycle Action with token ${action?.lifecycleActionToken} was abandoned: Lifecycle Action Completed with ABANDON Result`,
    });
    await eventually(async () => ((await answers(port)) ? undefined : true), {
      message: "the abandoned instance stopped",
    });
  });

  test("a heartbeat timeout applies DefaultResult; heartbeats extend it", async () => {
    const { autoScaling } = system.clients();
    await createGroup("timeout-abandon", [
      {
        LifecycleHookName: "slow",
        LifecycleTransition: launching,
        HeartbeatTimeout: 1,
        DefaultResult: "ABANDON",
      },
    ]);
    await createGroup("timeout-continue", [
      {
        LifecycleHookName: "slow",
        LifecycleTransition: launching,
        HeartbeatTimeout: 6,
        DefaultResult: "CONTINUE",
      },
    ]);
    // The held instance first: its timeout runs from Pending:Wait, and the first heartbeat follows both waits.
    const waiting = await waitForState("timeout-continue", "Pending:Wait");
    const abandoned = await waitForState("timeout-abandon", "Pending:Wait");

    // Heartbeats every second keep a 6 s timeout (slack for a loaded machine) from applying for longer.
    const heldUntil = Date.now() + 8_000;
    while (Date.now() < heldUntil) {
      await autoScaling.send(
        new RecordLifecycleActionHeartbeatCommand({
          AutoScalingGroupName: "timeout-continue",
          LifecycleHookName: "slow",
          InstanceId: waiting,
        }),
      );
      expect((await instances("timeout-continue"))[0]?.LifecycleState).toBe("Pending:Wait");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // Left alone, it times out and continues.
    expect(await waitForState("timeout-continue", "InService")).toBe(waiting);

    await waitForState("timeout-abandon", "Pending:Wait", { not: abandoned });
    const ended = (await activities("timeout-abandon")).find(
      (a) => a.Description === `Launching a new EC2 instance: ${abandoned}`,
    );
    expect(ended?.StatusCode).toBe("Cancelled");
    expect(ended?.StatusMessage).toMatch(/was abandoned: Heartbeat Timeout$/);
  });

  test("a termination hook holds Terminating:Wait with the instance still running; ABANDON terminates it as CONTINUE would", async () => {
    const name = "drain";
    await createGroup(name, [
      { LifecycleHookName: "backup", LifecycleTransition: terminating, HeartbeatTimeout: 300 },
    ]);
    const { autoScaling } = system.clients();
    const instanceId = await waitForState(name, "InService");
    const port = portOf(instanceId);
    // Without a target group, InService does not wait for the app to listen: it answers once it has started.
    expect(await answersWithin(port, 10_000)).toBe(true);
    await autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 0 }));
    await waitForState(name, "Terminating:Wait");
    expect(await answers(port)).toBe(true);
    expect((await activities(name))[0]).toMatchObject({
      Description: `Terminating EC2 instance: ${instanceId}`,
      StatusCode: "MidLifecycleAction",
    });
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: name,
        LifecycleHookName: "backup",
        InstanceId: instanceId,
        LifecycleActionResult: "ABANDON",
      }),
    );
    await eventually(async () => ((await instances(name)).length === 0 ? true : undefined), {
      timeoutMs: 20_000,
      message: "the instance terminated",
    });
    expect(await answers(port)).toBe(false);
    expect((await activities(name))[0]).toMatchObject({
      Description: `Terminating EC2 instance: ${instanceId}`,
      StatusCode: "Successful",
    });
  });

  test("a worker killed while instances wait recovers: waits hold, and an action completed meanwhile acts once a worker runs", async () => {
    const name = "crash";
    await createGroup(name, [
      { LifecycleHookName: "boot", LifecycleTransition: launching, HeartbeatTimeout: 300 },
      { LifecycleHookName: "stop", LifecycleTransition: terminating, HeartbeatTimeout: 300 },
    ]);
    const { autoScaling } = system.clients();
    const instanceId = await waitForState(name, "Pending:Wait");
    await system.killWorker();
    const complete = (hook: string) =>
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: name,
          LifecycleHookName: hook,
          InstanceId: instanceId,
          LifecycleActionResult: "CONTINUE",
        }),
      );
    await complete("boot");
    await system.startWorker();
    await waitForState(name, "InService");
    // The same instance: nothing launched twice, nothing orphaned.
    expect((await instances(name)).map((i) => i.InstanceId)).toEqual([instanceId]);

    await autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 0 }));
    await waitForState(name, "Terminating:Wait");
    await system.killWorker();
    await system.startWorker();
    // A new worker's passes keep it waiting: the action has not ended.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await instances(name))[0]?.LifecycleState).toBe("Terminating:Wait");
    expect(system.services.lifecycleHooks.actions(name)).toHaveLength(1);
    await complete("stop");
    await eventually(async () => ((await instances(name)).length === 0 ? true : undefined), {
      timeoutMs: 20_000,
      message: "the instance terminated",
    });
  });

  test("scale-in ends a launch wait; a forced delete ends a termination wait", async () => {
    const { autoScaling } = system.clients();
    await createGroup("shrink", [
      { LifecycleHookName: "boot", LifecycleTransition: launching, HeartbeatTimeout: 300 },
    ]);
    const waiting = await waitForState("shrink", "Pending:Wait");
    await autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: "shrink", DesiredCapacity: 0 }),
    );
    await eventually(async () => ((await instances("shrink")).length === 0 ? true : undefined), {
      message: "the waiting instance terminated",
    });
    const launch = (await activities("shrink")).find(
      (a) => a.Description === `Launching a new EC2 instance: ${waiting}`,
    );
    expect(launch?.StatusCode).toBe("Cancelled");
    expect(system.services.lifecycleHooks.actions("shrink")).toEqual([]);

    await createGroup("doomed", [
      { LifecycleHookName: "stop", LifecycleTransition: terminating, HeartbeatTimeout: 300 },
    ]);
    await waitForState("doomed", "InService");
    await autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: "doomed", DesiredCapacity: 0 }),
    );
    await waitForState("doomed", "Terminating:Wait");
    await autoScaling.send(
      new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: "doomed", ForceDelete: true }),
    );
    await eventually(
      () => {
        try {
          system.services.groups.get("doomed");
          return undefined;
        } catch {
          return true;
        }
      },
      { timeoutMs: 20_000, message: "the group deleted" },
    );
  });
});
