// Standby and scale-in protection, and EC2's DescribeInstances, through the AWS SDK v3 clients against the
// whole system (api, worker and proxy as processes, fast mode, process-driver instances): each behaviour
// is seen acting on real instances, not only stored.

import {
  EnterStandbyCommand,
  ExitStandbyCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstanceStatusCommand, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { eventually } from "@scaleout/testing";
import { expect } from "vitest";
import {
  activities,
  addressOf,
  answersWithin,
  groupOf,
  inService,
  instancesWhen,
  registeredPorts,
  states,
  sdkTest as test,
} from "./system-fixture.ts";

const caseTimeoutMs = 150_000;

test(
  "a standby instance leaves its target group and returns; a protected instance survives scale-in; DescribeInstances finds addresses",
  async ({ system, prefix }) => {
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
    expect(await answersWithin(found.port)).toBe(true);
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
    expect(await answersWithin(found.port)).toBe(true);
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
