import type { ChildProcess } from "node:child_process";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { activitiesOf, createExampleTemplate, driverKinds, instancesOf, systemTest } from "./helpers.ts";

/*
 * A worker killed with SIGKILL leaves its warm pool's instances parked; the next worker adopts them as
 * parked (not orphans, not unhealthy, not launched again) and a scale-out starts exactly those. A group
 * deleted with its pool takes the pool's instances with it.
 */

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

describe.each(driverKinds)("warm pool across a worker restart, %s driver", (kind) => {
  systemTest.scoped({ kind });

  systemTest(
    "a restarted worker adopts parked pool instances and scales out from them",
    async ({ system }) => {
      const group = system.groupName();
      createExampleTemplate(system, `tpl-${group}`);
      system.services.groups.create({
        autoScalingGroupName: group,
        launchTemplate: { launchTemplateName: `tpl-${group}` },
        minSize: 0,
        maxSize: 3,
        desiredCapacity: 0,
      });
      system.services.warmPools.put(group, { minSize: 2, maxGroupPreparedCapacity: 2 });
      const stopped = () => {
        const pool = system.services.warmPools.describe(group);
        return pool.instances.length === 2 &&
          pool.instances.every((i) => i.lifecycleState === "Warmed:Stopped")
          ? pool.instances.map((i) => i.instanceId)
          : undefined;
      };

      const first = system.spawnWorker();
      const parked = await eventually(stopped, {
        timeoutMs: 45_000,
        message: "two Warmed:Stopped instances",
      });
      first.kill("SIGKILL");
      await exited(first);
      // Parked as the runtime reports it: a SIGSTOPped process, a stopped container.
      for (const id of parked) {
        expect((await system.driver.inspect(id))?.state).toBe(kind === "process" ? "stopped" : "exited");
      }

      const second = system.spawnWorker();
      try {
        system.services.groups.setDesiredCapacity(group, { desiredCapacity: 2 });
        const inService = await eventually(
          () => {
            const rows = instancesOf(system, group);
            return rows.length === 2 && rows.every((r) => r.lifecycleState === "InService")
              ? rows
              : undefined;
          },
          { timeoutMs: 45_000, message: "two InService instances" },
        );
        expect(inService.map((r) => r.instanceId).sort()).toEqual([...parked].sort());
        for (const id of parked) expect((await system.driver.inspect(id))?.state).toBe("running");
        // The pool refills with new instances; the parked ones were launched once, never twice.
        const refilled = await eventually(stopped, { timeoutMs: 45_000, message: "the pool refilled" });
        expect(refilled.some((id) => parked.includes(id))).toBe(false);
        const intoPool = activitiesOf(system, group).filter((a) =>
          a.description.startsWith("Launching a new EC2 instance into warm pool"),
        );
        expect(intoPool).toHaveLength(4);
        expect(intoPool.every((a) => a.statusCode === "Successful")).toBe(true);

        // A group deleted with its pool: the pool's instances go with the group's.
        system.services.groups.delete(group, { forceDelete: true });
        await eventually(
          async () => {
            const gone =
              system.services.groups.count() === 0 && (await system.driver.list(group)).length === 0;
            return gone ? true : undefined;
          },
          { timeoutMs: 45_000, message: "the group, its pool and every instance gone" },
        );
      } finally {
        second.kill("SIGKILL");
        await exited(second);
      }
    },
    120_000,
  );
});
