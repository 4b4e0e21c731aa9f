import { chooseInstancesToTerminate, isSuspended, newInstanceId } from "@scaleout/core";
import {
  activityCauses,
  type GroupSnapshot,
  type InstanceRow,
  type LaunchPlan,
  lifecycleRegistry,
} from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { Launcher } from "./launches.ts";
import type { PassState } from "./pass-state.ts";
import type { WarmPool } from "./warm-pool.ts";

/*
 * The capacity step: launch or take out of service until the instances that count toward the group's
 * capacity (countsTowardCapacity) match its desired capacity.
 */

/**
 * Instances that count toward the desired capacity: launching (hooks included) and in service. Standby,
 * detaching, terminating and warm pool instances do not, as in AWS.
 */
const capacityStates: ReadonlySet<string> = new Set([
  "Pending",
  "Pending:Wait",
  "Pending:Proceed",
  "InService",
]);
export const countsTowardCapacity = (row: InstanceRow): boolean => capacityStates.has(row.lifecycleState);

export function createCapacityStep(ctx: WorkerContext, launcher: Launcher, warmPool: WarmPool) {
  const { registry, driver, log } = ctx;
  const waits = lifecycleRegistry(ctx.services.ctx);

  async function scaleOut(snapshot: GroupSnapshot, counted: InstanceRow[], desired: number, pass: PassState) {
    const { group } = snapshot;
    // SuspendProcesses Launch: no launches at all (scale-out, replacements) until it is resumed.
    if (isSuspended(group, "Launch")) {
      log.debug("launches suspended", { group: group.name, missing: desired - counted.length });
      return;
    }
    // Prepared instances in the warm pool first (reconcile/warm-pool.ts); cold launches make up the rest.
    // Not during an instance refresh: the pool holds the old configuration, so replacements launch cold.
    const fromPool = pass.refresh
      ? 0
      : await warmPool.takeForScaleOut(snapshot, counted.length, desired, pass);
    if (counted.length + fromPool >= desired) return;
    const resolved = pass.refresh?.launchTemplate ?? snapshot.launchTemplate;
    const key = launcher.backoffKey(snapshot, resolved);
    const wait = launcher.backingOff(group.name, key, Date.now());
    if (wait > 0) {
      // Refused launches wait; the periodic resync comes back after the backoff (a new launch template
      // version is tried at once). The job completes so that a change of the group is not held up.
      log.debug("launches backing off", { group: group.name, untilMs: wait });
      return;
    }
    const count = desired - counted.length - fromPool;
    const at = Date.now();
    // Replacements of unhealthy instances are not a change of the desired capacity.
    const sentence = activityCauses.launch(at, counted.length, desired);
    const cause =
      counted.length >= group.desiredCapacity && pass.refresh?.launchCause
        ? pass.refresh.launchCause
        : pass.replaced >= count
          ? sentence
          : activityCauses.join(group.capacityCause, sentence);
    // The driver allocates each instance's port and reports it when the launch completes.
    const plans: LaunchPlan[] = Array.from({ length: count }, () => ({ instanceId: newInstanceId() }));
    const rows = registry.beginLaunches(snapshot, plans, {
      cause,
      driver: driver.name,
      ...(pass.refresh && { launchTemplate: resolved, refreshId: pass.refresh.id }),
    });
    const result = await launcher.launchRows(snapshot, rows, key, undefined, resolved);
    pass.outcome.launched += result.launched;
    pass.outcome.failed += result.failed;
  }

  async function scaleIn(snapshot: GroupSnapshot, counted: InstanceRow[], desired: number, pass: PassState) {
    const { group } = snapshot;
    const deleting = group.status !== null;
    // SuspendProcesses Terminate: no scale-in (a deletion still ends every instance, as in AWS).
    if (!deleting && isSuspended(group, "Terminate")) {
      log.debug("terminations suspended", { group: group.name, extra: counted.length - desired });
      return;
    }
    const at = Date.now();
    const victims = chooseInstancesToTerminate(
      counted.map((row) => ({
        instanceId: row.id,
        launchedAt: row.launchedAt,
        launchTemplateId: row.launchTemplateId,
        launchTemplateVersion: row.launchTemplateVersion,
        // A deletion terminates every instance, protected or not, as a forced delete does in AWS.
        protectedFromScaleIn: deleting ? false : row.protectedFromScaleIn,
      })),
      counted.length - desired,
      {
        policies: group.terminationPolicies,
        // During a refresh its target version is the one to keep.
        launchTemplate: {
          id: (pass.refresh?.launchTemplate ?? snapshot.launchTemplate).template.id,
          version: (pass.refresh?.launchTemplate ?? snapshot.launchTemplate).version.version,
        },
        now: at,
      },
    );
    await Promise.all(
      victims.map(async (victim) => {
        const row = counted.find((r) => r.id === victim.instanceId);
        if (!row) return;
        // ReuseOnScaleIn: back to the warm pool instead of terminating.
        if (await warmPool.returnOnScaleIn(snapshot, row, { from: counted.length, to: desired }, pass))
          return;
        const cause = activityCauses.join(
          group.capacityCause,
          activityCauses.scaleIn(at, counted.length, desired, row.id),
        );
        // Deregistered first; the runtime stops it once its targets have drained.
        const draining = registry.beginTermination(row.id, cause);
        log.info("scale-in", { group: group.name, instance: row.id, draining });
        // Termination lifecycle hooks hold it (Terminating:Wait) before it stops; a deletion skips them.
        if (!draining && (deleting || !waits.beginTerminatingWait(row.id))) {
          await launcher.terminateRuntime(row.id);
          registry.finishTermination(row.id);
          pass.outcome.terminated++;
          log.info("instance terminated", { group: group.name, instance: row.id });
        }
      }),
    );
  }

  /** Launches or terminates toward the desired capacity (0 while the group is being deleted). */
  return async function adjustCapacity(snapshot: GroupSnapshot, pass: PassState): Promise<void> {
    const { group } = snapshot;
    const desired = group.status !== null ? 0 : group.desiredCapacity + (pass.refresh?.surplus ?? 0);
    // A deletion also ends standby instances, which otherwise never count.
    const counted = snapshot.instances.filter(
      (row) => countsTowardCapacity(row) || (group.status !== null && row.lifecycleState === "Standby"),
    );
    if (counted.length < desired) await scaleOut(snapshot, counted, desired, pass);
    else if (counted.length > desired) await scaleIn(snapshot, counted, desired, pass);
  };
}
