// Standby, scale-in protection, suspended processes, detach and attach, and EC2's DescribeInstances,
// through the AWS SDK v3 clients against the whole system (api, worker and proxy as processes, fast
// mode, process-driver instances): each behaviour is seen acting on real instances, not only stored.

import {
  AttachInstancesCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  type Instance,
  PutScalingPolicyCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
} from "@aws-sdk/client-auto-scaling";
import { PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstanceStatusCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { type SdkSystem, startSdkSystem } from "./system-fixture.ts";

let running: SdkSystem | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const caseTimeoutMs = 150_000;

async function groupOf(system: SdkSystem, name: string) {
  const { AutoScalingGroups } = await system.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = AutoScalingGroups?.[0];
  if (!group) throw new Error(`no group ${name}`);
  return group;
}

/** The group's instances once `accept` holds for them (nothing else in transit unless it says so). */
function instancesWhen(
  system: SdkSystem,
  name: string,
  accept: (instances: Instance[]) => boolean,
  message: string,
  timeoutMs = 30_000,
): Promise<Instance[]> {
  return eventually(
    async () => {
      const instances = (await groupOf(system, name)).Instances ?? [];
      return accept(instances) ? instances : undefined;
    },
    { timeoutMs, intervalMs: 200, message: `${message}\n${system.sys.output().slice(-3000)}` },
  );
}

const states = (instances: Instance[]) => instances.map((i) => i.LifecycleState).sort();
const inService = (count: number) => (instances: Instance[]) =>
  instances.length === count && instances.every((i) => i.LifecycleState === "InService");

/** Ports of the targets registered (not draining) in a target group. */
async function registeredPorts(system: SdkSystem, targetGroupArn: string): Promise<number[]> {
  const { TargetHealthDescriptions } = await system.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  return (TargetHealthDescriptions ?? [])
    .filter((d) => d.TargetHealth?.State !== "draining")
    .map((d) => d.Target?.Port ?? 0)
    .sort();
}

/** Where an instance answers, as a script finds it: EC2 DescribeInstances, the scaleout:port tag. */
async function addressOf(system: SdkSystem, instanceId: string) {
  const { Reservations } = await system.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations?.[0]?.Instances?.[0];
  const port = Number(instance?.Tags?.find((t) => t.Key === "scaleout:port")?.Value);
  return { instance, address: instance?.PrivateIpAddress, port };
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function activities(system: SdkSystem, name: string) {
  const { Activities } = await system.autoScaling.send(
    new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }),
  );
  return Activities ?? [];
}

test(
  "a standby instance leaves its target group and returns; a protected instance survives scale-in; DescribeInstances finds addresses",
  async ({ redisUrl, prefix, dataDir }) => {
    const system = await startSdkSystem({ redisUrl, prefix, dataDir });
    running = system;
    const name = `sb-${prefix}`;
    const { targetGroupArn } = await system.addGroup(
      name,
      { minSize: 0, maxSize: 3, desiredCapacity: 2 },
      { loadBalanced: true },
    );
    if (!targetGroupArn) throw new Error("no target group");
    const [a, b] = await instancesWhen(system, name, inService(2), "2 InService instances");
    const first = a?.InstanceId ?? "";
    const second = b?.InstanceId ?? "";

    // EC2's view: running, loopback, the group's tag, the port in scaleout:port, and the instance answers.
    const found = await addressOf(system, first);
    expect(found.instance?.State).toEqual({ Code: 16, Name: "running" });
    expect(found.address).toBe("127.0.0.1");
    expect(found.instance?.Tags).toContainEqual({ Key: "aws:autoscaling:groupName", Value: name });
    expect(await answers(found.port)).toBe(true);
    const byTag = await system.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: "tag:aws:autoscaling:groupName", Values: [name] },
          { Name: "instance-state-name", Values: ["running"] },
        ],
      }),
    );
    expect(
      byTag.Reservations?.flatMap((r) => r.Instances ?? [])
        .map((i) => i.InstanceId)
        .sort(),
    ).toEqual([first, second].sort());
    const status = await system.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [first] }));
    expect(status.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe("ok");
    await eventually(
      async () => ((await registeredPorts(system, targetGroupArn)).includes(found.port) ? true : undefined),
      { timeoutMs: 15_000, message: "the first instance registered" },
    );

    // EnterStandby with a decrement: deregistered (draining, then gone), Standby, still running.
    const entered = await system.autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: name,
        InstanceIds: [first],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(entered.Activities?.[0]?.Description).toBe(`Moving EC2 instance to Standby: ${first}`);
    expect(entered.Activities?.[0]?.Cause).toMatch(
      new RegExp(
        `^At \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ instance ${first} was moved to standby in response to a user request, shrinking the capacity from 2 to 1\\.$`,
      ),
    );
    await instancesWhen(
      system,
      name,
      (instances) => instances.find((i) => i.InstanceId === first)?.LifecycleState === "Standby",
      "the instance in Standby",
    );
    expect(await registeredPorts(system, targetGroupArn)).not.toContain(found.port);
    expect((await groupOf(system, name)).DesiredCapacity).toBe(1);
    expect(await answers(found.port)).toBe(true);
    // Not counted and not replaced: the group keeps one InService instance and launches nothing.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(states((await groupOf(system, name)).Instances ?? [])).toEqual(["InService", "Standby"]);

    // ExitStandby: back InService, registered again, and the desired capacity back up.
    const exited = await system.autoScaling.send(
      new ExitStandbyCommand({ AutoScalingGroupName: name, InstanceIds: [first] }),
    );
    expect(exited.Activities?.[0]?.Description).toBe(`Moving EC2 instance out of Standby: ${first}`);
    expect(exited.Activities?.[0]?.StatusCode).toBe("PreInService");
    await instancesWhen(system, name, inService(2), "the instance back InService");
    expect((await groupOf(system, name)).DesiredCapacity).toBe(2);
    await eventually(
      async () => ((await registeredPorts(system, targetGroupArn)).includes(found.port) ? true : undefined),
      { timeoutMs: 15_000, message: "the instance registered again" },
    );
    const done = await activities(system, name);
    expect(done.find((x) => x.Description === `Moving EC2 instance to Standby: ${first}`)?.StatusCode).toBe(
      "Successful",
    );
    expect(
      done.find((x) => x.Description === `Moving EC2 instance out of Standby: ${first}`)?.StatusCode,
    ).toBe("Successful");

    // Scale-in protection: scale in to one with the second instance protected; the first one goes.
    await system.autoScaling.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: name,
        InstanceIds: [second],
        ProtectedFromScaleIn: true,
      }),
    );
    await system.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }),
    );
    const survivors = await instancesWhen(system, name, inService(1), "scale-in to one instance");
    expect(survivors.map((i) => i.InstanceId)).toEqual([second]);
    expect(survivors[0]?.ProtectedFromScaleIn).toBe(true);

    // Standby without a decrement: a replacement launches; on ExitStandby the group is one over and
    // scales in by its termination policy (the replacement goes: the returning instance is protected).
    await system.autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: name,
        InstanceIds: [second],
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    const replaced = await instancesWhen(
      system,
      name,
      (instances) => states(instances).join() === "InService,Standby",
      "a replacement for the standby instance",
    );
    expect((await groupOf(system, name)).DesiredCapacity).toBe(1);
    const replacement = replaced.find((i) => i.LifecycleState === "InService")?.InstanceId;
    await system.autoScaling.send(
      new ExitStandbyCommand({ AutoScalingGroupName: name, InstanceIds: [second] }),
    );
    const settled = await instancesWhen(
      system,
      name,
      (instances) => inService(1)(instances) && instances[0]?.InstanceId === second,
      "the replacement scaled in after ExitStandby",
    );
    expect(settled[0]?.InstanceId).not.toBe(replacement);
    expect((await groupOf(system, name)).DesiredCapacity).toBe(1);
  },
  caseTimeoutMs,
);

test(
  "a suspended Launch stops launches until resumed; suspended Terminate, ReplaceUnhealthy and AddToLoadBalancer hold too",
  async ({ redisUrl, prefix, dataDir }) => {
    const system = await startSdkSystem({ redisUrl, prefix, dataDir });
    running = system;
    const name = `sp-${prefix}`;
    const { targetGroupArn } = await system.addGroup(
      name,
      { minSize: 0, maxSize: 3, desiredCapacity: 1 },
      { loadBalanced: true },
    );
    if (!targetGroupArn) throw new Error("no target group");
    const [only] = await instancesWhen(system, name, inService(1), "one InService instance");

    // Launch suspended: a higher desired capacity launches nothing, and the group lists the suspension.
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["Launch"] }),
    );
    const suspended = (await groupOf(system, name)).SuspendedProcesses ?? [];
    expect(suspended.map((p) => p.ProcessName)).toEqual(["Launch"]);
    expect(suspended[0]?.SuspensionReason).toMatch(/^User suspended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await system.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 2 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await groupOf(system, name)).Instances).toHaveLength(1);

    // AddToLoadBalancer suspended: the instance launched once Launch resumes is not registered.
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["AddToLoadBalancer"] }),
    );
    await system.autoScaling.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["Launch"] }),
    );
    const two = await instancesWhen(system, name, inService(2), "the launch after Launch resumed");
    const added = two.find((i) => i.InstanceId !== only?.InstanceId)?.InstanceId ?? "";
    const addedPort = (await addressOf(system, added)).port;
    const firstPort = (await addressOf(system, only?.InstanceId ?? "")).port;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await registeredPorts(system, targetGroupArn)).toEqual([firstPort]);
    expect(addedPort).toBeGreaterThan(0);

    // Terminate suspended: a lower desired capacity terminates nothing until it is resumed.
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["Terminate"] }),
    );
    await system.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(states((await groupOf(system, name)).Instances ?? [])).toEqual(["InService", "InService"]);
    await system.autoScaling.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["Terminate"] }),
    );
    const [kept] = await instancesWhen(system, name, inService(1), "the scale-in after Terminate resumed");

    // ReplaceUnhealthy suspended: an instance marked Unhealthy stays in service until it is resumed.
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["ReplaceUnhealthy"] }),
    );
    await system.autoScaling.send(
      new SetInstanceHealthCommand({
        InstanceId: kept?.InstanceId,
        HealthStatus: "Unhealthy",
        ShouldRespectGracePeriod: false,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const marked = (await groupOf(system, name)).Instances ?? [];
    expect(marked.map((i) => [i.InstanceId, i.LifecycleState, i.HealthStatus])).toEqual([
      [kept?.InstanceId, "InService", "Unhealthy"],
    ]);
    // Resume everything: the unhealthy instance is replaced.
    await system.autoScaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: name }));
    expect((await groupOf(system, name)).SuspendedProcesses).toEqual([]);
    await instancesWhen(
      system,
      name,
      (instances) => inService(1)(instances) && instances[0]?.InstanceId !== kept?.InstanceId,
      "the unhealthy instance replaced",
    );
  },
  caseTimeoutMs,
);

test(
  "a detached instance keeps running outside the group, and AttachInstances brings it into another",
  async ({ redisUrl, prefix, dataDir }) => {
    const system = await startSdkSystem({ redisUrl, prefix, dataDir });
    running = system;
    const from = `da-${prefix}`;
    const to = `db-${prefix}`;
    await system.addGroup(from, { minSize: 0, maxSize: 2, desiredCapacity: 2 });
    await system.addGroup(to, { minSize: 0, maxSize: 1, desiredCapacity: 0 });
    const [a] = await instancesWhen(system, from, inService(2), "2 InService instances");
    const moved = a?.InstanceId ?? "";
    const { port } = await addressOf(system, moved);

    const detached = await system.autoScaling.send(
      new DetachInstancesCommand({
        AutoScalingGroupName: from,
        InstanceIds: [moved],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(detached.Activities?.[0]?.Description).toBe(`Detaching EC2 instance: ${moved}`);
    expect(detached.Activities?.[0]?.Cause).toMatch(
      /was detached in response to a user request, shrinking the capacity from 2 to 1\.$/,
    );
    await instancesWhen(system, from, inService(1), "one instance left in the group");
    // Several resync passes later it still runs (no pass took it for an orphan) and EC2 still sees it.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(await answers(port)).toBe(true);
    const outside = await addressOf(system, moved);
    expect(outside.instance?.State?.Name).toBe("running");
    expect(outside.instance?.Tags?.some((t) => t.Key === "aws:autoscaling:groupName")).toBe(false);
    expect((await groupOf(system, from)).Instances?.map((i) => i.InstanceId)).not.toContain(moved);

    // It can be attached back to its group; then another group cannot take it.
    await expect(
      system.autoScaling.send(
        new AttachInstancesCommand({ AutoScalingGroupName: from, InstanceIds: [moved] }),
      ),
    ).resolves.toBeDefined();
    await instancesWhen(system, from, inService(2), "the instance attached back to its group");
    await expect(
      system.autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: to, InstanceIds: [moved] })),
    ).rejects.toThrow(`The instance ${moved} is already part of the Auto Scaling group ${from}.`);

    // Detach again without a decrement (a replacement launches), then attach it to the other group:
    // it counts there and is never killed by either group's pass.
    await system.autoScaling.send(
      new DetachInstancesCommand({
        AutoScalingGroupName: from,
        InstanceIds: [moved],
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await instancesWhen(
      system,
      from,
      (instances) => inService(2)(instances) && !instances.some((i) => i.InstanceId === moved),
      "a replacement for the detached instance",
    );
    await system.autoScaling.send(
      new AttachInstancesCommand({ AutoScalingGroupName: to, InstanceIds: [moved] }),
    );
    await instancesWhen(
      system,
      to,
      (instances) => inService(1)(instances) && instances[0]?.InstanceId === moved,
      "the instance InService in the other group",
    );
    expect((await groupOf(system, to)).DesiredCapacity).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(await answers(port)).toBe(true);
    expect(states((await groupOf(system, to)).Instances ?? [])).toEqual(["InService"]);
    expect(states((await groupOf(system, from)).Instances ?? [])).toEqual(["InService", "InService"]);
    const attachActivity = (await activities(system, to)).find(
      (x) => x.Description === `Attaching an existing EC2 instance: ${moved}`,
    );
    expect(attachActivity?.StatusCode).toBe("Successful");
  },
  caseTimeoutMs,
);

test(
  "a suspended AlarmNotification ignores the alarm's scaling action; a suspended HealthCheck leaves a dead instance alone",
  async ({ redisUrl, prefix, dataDir }) => {
    const system = await startSdkSystem({ redisUrl, prefix, dataDir });
    running = system;
    const name = `hc-${prefix}`;
    await system.addGroup(name, { minSize: 0, maxSize: 3, desiredCapacity: 1 });
    await instancesWhen(system, name, inService(1), "one InService instance");

    // AlarmNotification: an alarm that invokes a +1 policy changes nothing while it is suspended.
    const { PolicyARN } = await system.autoScaling.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: name,
        PolicyName: "plus-one",
        PolicyType: "SimpleScaling",
        AdjustmentType: "ChangeInCapacity",
        ScalingAdjustment: 1,
        Cooldown: 0,
      }),
    );
    await system.cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: `${name}-high`,
        Namespace: "Custom",
        MetricName: "Queue",
        Statistic: "Average",
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 100,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [PolicyARN ?? ""],
      }),
    );
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["AlarmNotification"] }),
    );
    await system.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: `${name}-high`, StateValue: "ALARM", StateReason: "test" }),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await groupOf(system, name)).DesiredCapacity).toBe(1);
    await system.autoScaling.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["AlarmNotification"] }),
    );
    await system.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: `${name}-high`, StateValue: "OK", StateReason: "test" }),
    );
    await system.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: `${name}-high`, StateValue: "ALARM", StateReason: "test" }),
    );
    await eventually(async () => ((await groupOf(system, name)).DesiredCapacity === 2 ? true : undefined), {
      timeoutMs: 15_000,
      message: `the policy run once AlarmNotification resumed\n${system.sys.output().slice(-3000)}`,
    });
    await system.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }),
    );
    const [left] = await instancesWhen(system, name, inService(1), "back to one instance");
    const instanceId = left?.InstanceId ?? "";

    // HealthCheck: the instance's process dies (killed here, by its own pid), and nobody notices.
    await system.autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["HealthCheck"] }),
    );
    const { port } = await addressOf(system, instanceId);
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
    const { pid } = (await res.json()) as { pid: number };
    process.kill(pid, "SIGKILL");
    await eventually(async () => ((await answers(port)) ? undefined : true), {
      message: "the instance gone",
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const unnoticed = (await groupOf(system, name)).Instances ?? [];
    expect(unnoticed.map((i) => [i.InstanceId, i.LifecycleState, i.HealthStatus])).toEqual([
      [instanceId, "InService", "Healthy"],
    ]);
    // Resumed: the EC2 health check sees it gone and replaces it.
    await system.autoScaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: name }));
    await instancesWhen(
      system,
      name,
      (instances) => inService(1)(instances) && instances[0]?.InstanceId !== instanceId,
      "the dead instance replaced",
    );
  },
  caseTimeoutMs,
);
