import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { activitiesOf, createExampleTemplate, instancesOf, systemTest, waitForInService } from "./helpers.ts";

/*
 * The refresh step of the reconcile pass with a real worker and the process driver (EC2 health checks:
 * the proxy, which writes ELB health, is not running here; the end-to-end test has it). The AWS and REST
 * doors are tested in apps/api/test/aws/instance-refresh.test.ts and tests/e2e/instance-refresh.test.ts.
 */

describe("instance refresh in the reconcile pass (process driver)", () => {
  systemTest.scoped({ kind: "process" });
  const test = systemTest;

  test("launches first above the desired capacity, never beyond MaxHealthyPercentage, and waits while InstanceRefresh is suspended", async ({
    system,
  }) => {
    await system.startWorker();
    const group = system.groupName();
    const template = `tpl-${group}`;
    createExampleTemplate(system, template);
    system.services.launchTemplates.createVersion(template, { sourceVersion: "1", environment: { V: "2" } });
    system.services.groups.create({
      autoScalingGroupName: group,
      launchTemplate: { launchTemplateName: template, version: "1" },
      minSize: 0,
      maxSize: 4,
      desiredCapacity: 2,
    });
    const before = await waitForInService(system, group, 2);

    // Suspended: the refresh starts but replaces nothing.
    system.services.scalingProcesses.suspend(group, { scalingProcesses: ["InstanceRefresh"] });
    const { instanceRefreshId } = system.services.instanceRefreshes.start(group, {
      desiredConfiguration: { launchTemplate: { launchTemplateName: template, version: "2" } },
      preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 150, instanceWarmup: 0 },
    });
    const describe = () => {
      const found = system.services.instanceRefreshes
        .describe(group)
        .items.find((r) => r.instanceRefreshId === instanceRefreshId);
      if (!found) throw new Error("no refresh");
      return found;
    };
    await eventually(() => (describe().statusReason?.includes("suspended") ? true : undefined), {
      timeoutMs: 10_000,
      message: "the refresh to wait for the suspended process",
    });
    expect(describe()).toMatchObject({ status: "InProgress", instancesToUpdate: 2, percentageComplete: 0 });
    expect(instancesOf(system, group).map((i) => i.instanceId)).toEqual(before.map((i) => i.instanceId));

    // Resumed: one replacement at a time above the desired capacity (ceiling 3), then the old one goes.
    system.services.scalingProcesses.resume(group, { scalingProcesses: ["InstanceRefresh"] });
    let highest = 0;
    const done = await eventually(
      () => {
        highest = Math.max(
          highest,
          instancesOf(system, group).filter((i) => i.lifecycleState !== "Terminating").length,
        );
        const r = describe();
        return r.status === "Successful" ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, message: "the refresh to succeed" },
    );
    expect(done).toMatchObject({ percentageComplete: 100, instancesToUpdate: 0 });
    expect(highest).toBeLessThanOrEqual(3);
    const after = await waitForInService(system, group, 2);
    expect(after.map((i) => i.launchTemplate.version)).toEqual(["2", "2"]);
    expect(system.services.groups.get(group).launchTemplate.version).toBe("2");
    const causes = activitiesOf(system, group).map((a) => a.cause);
    expect(
      causes.filter((c) => /an instance was launched in response to an instance refresh\.$/.test(c)),
    ).toHaveLength(2);
    expect(
      causes.filter((c) =>
        /an instance was taken out of service in response to an instance refresh\./.test(c),
      ),
    ).toHaveLength(2);
  });

  test("a last checkpoint below 100 ends the refresh there, after its bake time", async ({ system }) => {
    await system.startWorker();
    const group = system.groupName();
    const template = `tpl-${group}`;
    createExampleTemplate(system, template);
    system.services.launchTemplates.createVersion(template, { sourceVersion: "1", environment: { V: "2" } });
    system.services.groups.create({
      autoScalingGroupName: group,
      launchTemplate: { launchTemplateName: template, version: "1" },
      minSize: 0,
      maxSize: 4,
      desiredCapacity: 2,
    });
    await waitForInService(system, group, 2);
    const { instanceRefreshId } = system.services.instanceRefreshes.start(group, {
      desiredConfiguration: { launchTemplate: { launchTemplateName: template, version: "2" } },
      preferences: { minHealthyPercentage: 50, instanceWarmup: 0, checkpointPercentages: [50], bakeTime: 1 },
    });
    const seen = new Set<string>();
    await eventually(
      () => {
        const r = system.services.instanceRefreshes
          .describe(group, { instanceRefreshIds: [instanceRefreshId] })
          .items.at(0);
        if (r) seen.add(r.status);
        return r?.status === "Successful" ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, message: "the refresh to succeed" },
    );
    expect([...seen]).toContain("Baking");
    const after = await waitForInService(system, group, 2);
    expect(after.map((i) => i.launchTemplate.version).sort()).toEqual(["1", "2"]);
  });
});
