import type { RunningInstance } from "@scaleout/compute";
import { enqueueReconcile, type ReconcileGroupJob } from "@scaleout/queue";
import { activityCauses } from "@scaleout/services";
import { DelayedError, type Job } from "bullmq";
import type { WorkerContext } from "../context.ts";
import { createCapacityStep } from "./reconcile/capacity.ts";
import { createInstanceSteps } from "./reconcile/instance-steps.ts";
import { createLauncher } from "./reconcile/launches.ts";
import { type PassOutcome, type PassState, transitStates } from "./reconcile/pass-state.ts";
import { createRefreshStep } from "./reconcile/refresh.ts";
import { createWarmPool } from "./reconcile/warm-pool.ts";

/*
 * reconcile-group: make a group's instances match its desired capacity. Level-triggered: each pass reads
 * the registry and the runtime afresh and moves every instance one step along its lifecycle
 * (reconcile/instance-steps.ts), then launches or takes out of service toward the desired capacity
 * (reconcile/capacity.ts), so a pass can stop anywhere (a crash, a SIGKILL) and the next one carries on.
 * Nothing waits inside a pass for longer than the runtime takes to start or stop an instance: draining,
 * which takes up to the deregistration delay, is checked again by a later pass.
 */

export type { PassOutcome } from "./reconcile/pass-state.ts";

const hourMs = 3_600_000;

export function createReconciler(ctx: WorkerContext) {
  const { registry, driver, log, timing } = ctx;
  const launcher = createLauncher(ctx);
  const warmPool = createWarmPool(ctx, launcher);
  const steps = { ...createInstanceSteps(ctx, launcher), ...warmPool.steps };
  const adjustCapacity = createCapacityStep(ctx, launcher, warmPool);
  const refreshStep = createRefreshStep(ctx, launcher);
  // One pass per group at a time in this process. BullMQ's deduplication already keeps one job per group
  // across workers; this covers a job BullMQ hands out again because its lock expired while it still ran.
  const running = new Map<string, Promise<unknown>>();

  /**
   * The runtime labels an instance with the group that launched it. An instance detached since, or
   * attached to another group, is not that group's any more: it is neither an orphan of it nor ended
   * with it.
   */
  function heldElsewhere(groupName: string, runtime: RunningInstance[]): Set<string> {
    const states = registry.statesOf(runtime.map((instance) => instance.instanceId));
    const held = new Set<string>();
    for (const [id, row] of states) {
      if (row.lifecycleState === "Terminated") continue;
      if (row.lifecycleState === "Detached" || row.groupName !== groupName) held.add(id);
    }
    return held;
  }

  /** A group that no longer exists: whatever still runs under its name goes (unless held elsewhere). */
  async function reconcileMissingGroup(groupName: string, listed: RunningInstance[]): Promise<PassOutcome> {
    const rows = registry.liveInstances(groupName);
    const held = heldElsewhere(groupName, listed);
    const runtime = listed.filter((instance) => !held.has(instance.instanceId));
    await Promise.all(runtime.map((instance) => launcher.terminateRuntime(instance.instanceId)));
    for (const row of rows) {
      if (row.lifecycleState === "Pending") {
        registry.cancelLaunch(row.id, "The group no longer exists");
        continue;
      }
      registry.beginTermination(row.id, activityCauses.ec2Health(Date.now()));
      registry.finishTermination(row.id);
    }
    return { launched: 0, terminated: runtime.length, failed: 0 };
  }

  /**
   * Adoption. The row is written before the runtime is asked to launch, so a runtime instance without a
   * row (or with a Terminated one) was never meant to run, or outlived its termination: an orphan. Rows
   * are looked up by instance id in every group: a Detached instance, or one attached to another group
   * than its label says, has a live row and is not an orphan.
   */
  async function terminateOrphans(pass: PassState): Promise<void> {
    const known = registry.statesOf([...pass.runtime.keys()]);
    const orphans = [...pass.runtime.values()].filter((instance) => {
      const row = known.get(instance.instanceId);
      return row === undefined || row.lifecycleState === "Terminated";
    });
    await Promise.all(
      orphans.map(async (instance) => {
        log.warn("terminating an orphan", { group: pass.groupName, instance: instance.instanceId });
        await launcher.terminateRuntime(instance.instanceId);
        pass.outcome.terminated++;
      }),
    );
  }

  async function pass(groupName: string): Promise<PassOutcome> {
    const outcome: PassOutcome = { launched: 0, terminated: 0, failed: 0 };
    const runtime = await driver.list(groupName);
    const first = registry.snapshot(groupName);
    if (!first) return reconcileMissingGroup(groupName, runtime);
    const state: PassState = {
      groupName,
      snapshot: first,
      runtime: new Map(runtime.map((instance) => [instance.instanceId, instance])),
      now: Date.now(),
      outcome,
      replaced: 0,
    };
    // An instance attached to this group from another carries the other group's label, so the list
    // lacks it: look it up by its id. (So does a Pending row whose runtime never started: found nothing.)
    for (const row of first.instances) {
      if (state.runtime.has(row.id)) continue;
      const instance = await driver.inspect(row.id);
      if (instance) state.runtime.set(row.id, instance);
    }
    await terminateOrphans(state);
    for (const row of first.instances) {
      const step = steps[row.lifecycleState as keyof typeof steps];
      if (step) await step(row, state);
    }

    // An instance refresh decides first what goes and how far above desired the group may run, so the
    // capacity step launches its replacements instead of fighting it.
    const beforeRefresh = registry.snapshot(groupName);
    if (!beforeRefresh) return outcome;
    const refreshing = await refreshStep(beforeRefresh, state);

    // Capacity. Read again: the steps above took time, and a desired capacity changed meanwhile is the
    // one to act on.
    const snapshot = registry.snapshot(groupName);
    if (!snapshot) return outcome;
    await adjustCapacity(snapshot, state);
    // The warm pool after the capacity: a scale-out has taken its prepared instances first.
    const pooled = registry.snapshot(groupName);
    if (pooled) await warmPool.maintain(pooled, state);

    const settled = registry.snapshot(groupName);
    if (!settled) return outcome;
    if (registry.targetsOutOfSync(settled)) registry.syncTargets(settled);
    const inTransit = settled.instances.some((row) => transitStates.has(row.lifecycleState));
    // A refresh in progress waits for warm-ups and checkpoint delays: it comes back too.
    if (inTransit || refreshing) outcome.followUpMs = timing.followUpMs;
    else if (settled.group.status !== null && settled.instances.length === 0) {
      const listed = await driver.list(groupName);
      const held = heldElsewhere(groupName, listed);
      const leftovers = listed.filter((instance) => !held.has(instance.instanceId));
      if (leftovers.length === 0 && registry.deleteGroupIfDone(groupName)) {
        launcher.forget(groupName);
        log.info("group deleted", { group: groupName });
      } else if (leftovers.length > 0) outcome.followUpMs = timing.followUpMs;
    }
    registry.pruneTerminated(groupName, Date.now() - hourMs);
    // Metadata services of instances that ended in this pass close; any a restart left unserved open.
    await ctx.metadata.sync();
    return outcome;
  }

  return {
    /** One pass over one group; passes of the same group in this process run one after another. */
    async run(groupName: string): Promise<PassOutcome> {
      const previous = running.get(groupName) ?? Promise.resolve();
      let startedAt: number | undefined;
      const current = previous
        .catch(() => undefined)
        .then(() => {
          startedAt = Date.now();
          return pass(groupName);
        });
      running.set(groupName, current);
      try {
        return await current;
      } finally {
        if (running.get(groupName) === current) running.delete(groupName);
        // Debug, every pass: what a test waits on to know a pass has seen a change it made before
        // `startedAt` (a negative assertion: "nothing launched") without sleeping a guessed time.
        if (startedAt !== undefined) log.debug("reconcile pass", { group: groupName, startedAt });
      }
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;

/** The name of the periodic job that asks for a reconcile of every group. */
export const resyncJobName = "resync";

/**
 * The reconcile-group queue's processor: a reconcile of one group, or (job `resync`) a reconcile asked for
 * every group.
 *
 * One job per group: enqueueReconcile deduplicates on the group name with `keepLastIfActive`, so a
 * request that arrives while the group's job runs is kept and becomes a new job the moment this one
 * finishes; a desired capacity changed during a pass is therefore always seen by a pass that starts after
 * the change. (Were that request dropped, the periodic resync would still pick the change up within
 * `resyncMs`.)
 *
 * Follow-ups (an instance launching or draining) must not go through `add`: the group's deduplication
 * key is held by this very job, so a new job would be dropped (or merely parked until this one ends).
 * Instead the job moves itself back to the delayed set with `moveToDelayed` and comes back after
 * `followUpMs`: the same job, still holding the key, so nothing else runs for the group meanwhile and
 * nothing is lost; requests that arrive while it waits are deduplicated into it, and its next pass reads
 * everything afresh anyway.
 */
export function reconcileProcessor(ctx: WorkerContext, reconciler: Reconciler) {
  return async (job: Job<ReconcileGroupJob>, token?: string): Promise<PassOutcome | { groups: number }> => {
    if (job.name === resyncJobName) {
      const groups = ctx.registry.groupNames();
      await Promise.all(
        groups.map((groupName) => enqueueReconcile(ctx.queues, { groupName, reason: "resync" })),
      );
      return { groups: groups.length };
    }
    const outcome = await reconciler.run(job.data.groupName);
    if (outcome.followUpMs !== undefined && token !== undefined) {
      await job.moveToDelayed(Date.now() + outcome.followUpMs, token);
      throw new DelayedError();
    }
    return outcome;
  };
}
