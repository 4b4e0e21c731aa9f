// DetachInstances and AttachInstances through the AWS SDK v3 clients against the whole system (api,
// worker and proxy as processes, fast mode, process-driver instances): a detached instance keeps running
// and no group's pass takes it for an orphan, also once it is attached to another group.

import { AttachInstancesCommand, DetachInstancesCommand } from "@aws-sdk/client-auto-scaling";

import { expect } from "vitest";
import {
  activities,
  addressOf,
  answersWithin,
  groupOf,
  inService,
  instancesWhen,
  states,
  sdkTest as test,
} from "./system-fixture.ts";

const caseTimeoutMs = 150_000;

test(
  "a detached instance keeps running outside the group, and AttachInstances brings it into another",
  async ({ system, prefix }) => {
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
    expect(await answersWithin(port)).toBe(true);
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
    expect(await answersWithin(port)).toBe(true);
    expect(states((await groupOf(system, to)).Instances ?? [])).toEqual(["InService"]);
    expect(states((await groupOf(system, from)).Instances ?? [])).toEqual(["InService", "InService"]);
    const attachActivity = (await activities(system, to)).find(
      (x) => x.Description === `Attaching an existing EC2 instance: ${moved}`,
    );
    expect(attachActivity?.StatusCode).toBe("Successful");
  },
  caseTimeoutMs,
);
