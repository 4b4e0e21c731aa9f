import { LaunchError, type LaunchSpec, type RunningInstance } from "@scaleout/compute";
import { chooseInstancesToTerminate, newInstanceId } from "@scaleout/core";
import { enqueueReconcile, freePort, type ReconcileGroupJob } from "@scaleout/queue";
import { activityCauses, type GroupSnapshot, type InstanceRow, type LaunchPlan } from "@scaleout/services";
import { DelayedError, type Job } from "bullmq";
import type { WorkerContext } from "../context.ts";

/*
 * reconcile-group: make a group's instances match its desired capacity. Level-triggered: each pass reads
 * the registry and the runtime afresh and moves every instance one step along its lifecycle
 *
 *   (row inserted) Pending ──launch──▶ InService ──deregister──▶ Terminating ──drained──▶ Terminated
 *
 * so a pass can stop anywhere (a crash, a SIGKILL) and the next one carries on. Nothing waits inside a
 * pass for longer than the runtime takes to start or stop an instance: draining, which takes up to the
 * deregistration delay, is checked again by a later pass.
 */

/** What a pass leaves behind: nothing more to do, or a look again after `followUpMs`. */
export interface PassOutcome {
  followUpMs?: number;
  launched: number;
  terminated: number;
  failed: number;
}

interface Backoff {
  /** The launch template version the refusals were for: another one deserves a fresh try. */
  key: string;
  failures: number;
  notBefore: number;
}

const hourMs = 3_600_000;

/** A runtime instance that can serve (or is about to). */
const alive = (instance: RunningInstance | undefined) =>
  instance !== undefined && (instance.state === "running" || instance.state === "starting");

export function createReconciler(ctx: WorkerContext) {
  const { registry, driver, log, timing } = ctx;
  const backoffs = new Map<string, Backoff>();
  // One pass per group at a time in this process. BullMQ's deduplication already keeps one job per group
  // across workers; this covers a job BullMQ hands out again because its lock expired while it still ran.
  const running = new Map<string, Promise<unknown>>();

  async function terminateRuntime(instanceId: string): Promise<void> {
    await driver.terminate(instanceId, { graceSeconds: timing.terminateGraceSeconds });
  }

  async function pickPorts(count: number): Promise<number[]> {
    const taken = registry.portsInUse();
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > count * 20) throw new Error("could not find free loopback ports for new instances");
      const port = await freePort();
      if (taken.has(port)) continue;
      taken.add(port);
      ports.push(port);
    }
    return ports;
  }

  function specFor(snapshot: GroupSnapshot, row: InstanceRow): LaunchSpec {
    const { version } = snapshot.launchTemplate;
    return {
      instanceId: row.id,
      groupName: row.groupName,
      launchTemplateId: row.launchTemplateId,
      launchTemplateVersion: row.launchTemplateVersion,
      ...(version.image !== null && { image: version.image }),
      ...(version.command !== null && { command: version.command }),
      environment: version.environment,
      networkMode: version.networkMode === "bridge" ? "bridge" : "host",
      hostPort: row.port ?? 0,
      ...(version.containerPort !== null && { containerPort: version.containerPort }),
      ...(version.cpu !== null && { cpu: version.cpu }),
      ...(version.memoryMiB !== null && { memoryMiB: version.memoryMiB }),
    };
  }

  /** Launches Pending rows; a refusal fails the row's activity and backs the group off. */
  async function launchRows(snapshot: GroupSnapshot, rows: InstanceRow[], backoffKey: string) {
    let launched = 0;
    let failed = 0;
    await Promise.all(
      rows.map(async (row) => {
        try {
          const instance = await driver.launch(specFor(snapshot, row));
          registry.completeLaunch(row.id, {
            ref: instance.ref,
            address: instance.address,
            port: instance.port,
          });
          launched++;
          log.info("instance launched", { group: row.groupName, instance: row.id, port: instance.port });
        } catch (error) {
          failed++;
          const reason = error instanceof Error ? error.message : String(error);
          // A launch that failed half-way (an engine error after the container was created) may have
          // left something behind; the row is not Terminated until it is gone.
          await terminateRuntime(row.id).catch(() => undefined);
          registry.failLaunch(row.id, reason);
          log.warn(error instanceof LaunchError ? "launch refused" : "launch failed", {
            group: row.groupName,
            instance: row.id,
            reason,
          });
        }
      }),
    );
    const group = snapshot.group.name;
    if (failed > 0) {
      const previous = backoffs.get(group);
      const failures = (previous?.key === backoffKey ? previous.failures : 0) + 1;
      const wait = Math.min(timing.launchBackoffMaxMs, timing.launchBackoffMs * 2 ** (failures - 1));
      backoffs.set(group, { key: backoffKey, failures, notBefore: Date.now() + wait });
      log.warn("launches back off", { group, failures, waitMs: wait });
    } else if (launched > 0) backoffs.delete(group);
    return { launched, failed };
  }

  /** Stops the runtime instance of a Terminating row and closes the row. */
  async function finish(row: InstanceRow): Promise<void> {
    await terminateRuntime(row.id);
    registry.finishTermination(row.id);
    log.info("instance terminated", { group: row.groupName, instance: row.id });
  }

  /** A group that no longer exists: whatever still runs under its name goes. */
  async function reconcileMissingGroup(groupName: string, runtime: RunningInstance[]): Promise<PassOutcome> {
    const rows = registry.liveInstances(groupName);
    await Promise.all(runtime.map((instance) => terminateRuntime(instance.instanceId)));
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

  async function pass(groupName: string): Promise<PassOutcome> {
    const outcome: PassOutcome = { launched: 0, terminated: 0, failed: 0 };
    const runtime = await driver.list(groupName);
    const first = registry.snapshot(groupName);
    if (!first) return reconcileMissingGroup(groupName, runtime);
    const now = Date.now();
    const runtimeById = new Map(runtime.map((instance) => [instance.instanceId, instance]));

    // Adoption. The row is written before the runtime is asked to launch, so a runtime instance without a
    // row (or with a Terminated one) was never meant to run, or outlived its termination: an orphan.
    const known = registry.knownInstanceIds(groupName);
    const orphans = runtime.filter((instance) => {
      const state = known.get(instance.instanceId);
      return state === undefined || state === "Terminated";
    });
    await Promise.all(
      orphans.map(async (instance) => {
        log.warn("terminating an orphan", { group: groupName, instance: instance.instanceId });
        await terminateRuntime(instance.instanceId);
        outcome.terminated++;
      }),
    );

    let replaced = 0;
    for (const row of first.instances) {
      const instance = runtimeById.get(row.id);
      if (row.lifecycleState === "Pending") {
        if (instance?.state === "running") {
          // The worker died between the launch and recording it: adopt.
          registry.completeLaunch(row.id, {
            ref: instance.ref,
            address: instance.address,
            port: instance.port,
          });
          log.info("adopted a launched instance", { group: groupName, instance: row.id });
        } else {
          // Never started (the worker died before asking the runtime), created but not started, or exited
          // before it was recorded: give up on this one; the capacity check below launches a new one.
          // Terminate even when the runtime lists nothing: the worker may have died after the runtime
          // started it but before the runtime could record it (the process driver finds it by its id).
          await terminateRuntime(row.id);
          const reason =
            instance?.error ??
            (instance?.exitCode !== undefined ? `exited with code ${instance.exitCode}` : undefined);
          if (reason && instance?.state === "exited") registry.failLaunch(row.id, reason);
          else registry.cancelLaunch(row.id, "The worker stopped before the instance was started");
          log.warn("abandoned an unfinished launch", { group: groupName, instance: row.id });
        }
        continue;
      }
      if (row.lifecycleState === "InService") {
        if (!alive(instance)) {
          // EC2 health check: the container or process is gone or has exited. It cannot serve, so there
          // is nothing to drain: out of service and stopped at once, and replaced below.
          registry.beginTermination(row.id, activityCauses.ec2Health(now), { unhealthy: true });
          await finish(row);
          replaced++;
          outcome.terminated++;
          continue;
        }
        if (instance && (row.driverRef !== instance.ref || row.port !== instance.port)) {
          registry.recordRuntime(row.id, {
            ref: instance.ref,
            address: instance.address,
            port: instance.port,
          });
        }
        const graceOver =
          now >= (row.inServiceAt ?? row.launchedAt) + first.group.healthCheckGracePeriod * 1000;
        if (first.group.healthCheckType === "ELB" && graceOver) {
          const unhealthyIn = registry.unhealthyIn(first, row);
          if (unhealthyIn.length > 0) {
            // As AWS: terminate the unhealthy instance (deregistering it first), then launch a replacement.
            const draining = registry.beginTermination(row.id, activityCauses.elbHealth(now), {
              unhealthy: true,
            });
            log.warn("replacing an instance that failed ELB health checks", {
              group: groupName,
              instance: row.id,
              targetGroups: unhealthyIn,
            });
            replaced++;
            if (!draining) {
              await finish(row);
              outcome.terminated++;
            }
          }
        }
        continue;
      }
      if (row.lifecycleState === "Terminating") {
        // A runtime instance that is gone has nothing left to drain.
        if (!alive(instance) || registry.drained(row.id)) {
          await finish(row);
          outcome.terminated++;
        }
      }
    }

    // Capacity. Read again: the steps above took time, and a desired capacity changed meanwhile is the
    // one to act on.
    const snapshot = registry.snapshot(groupName);
    if (!snapshot) return outcome;
    const { group } = snapshot;
    const deleting = group.status !== null;
    const desired = deleting ? 0 : group.desiredCapacity;
    const counted = snapshot.instances.filter(
      (row) => row.lifecycleState === "Pending" || row.lifecycleState === "InService",
    );

    if (counted.length < desired) {
      const { template, version } = snapshot.launchTemplate;
      const backoffKey = `${template.id}:${version.version}`;
      const backoff = backoffs.get(group.name);
      if (backoff && backoff.key === backoffKey && Date.now() < backoff.notBefore) {
        // Refused launches wait; the periodic resync comes back after the backoff (a new launch template
        // version is tried at once). The job completes so that a change of the group is not held up.
        log.debug("launches backing off", { group: group.name, untilMs: backoff.notBefore - Date.now() });
      } else {
        const count = desired - counted.length;
        const at = Date.now();
        // Replacements of unhealthy instances are not a change of the desired capacity.
        const sentence = activityCauses.launch(at, counted.length, desired);
        const cause = replaced >= count ? sentence : activityCauses.join(group.capacityCause, sentence);
        const ports = await pickPorts(count);
        const plans: LaunchPlan[] = ports.map((port) => ({ instanceId: newInstanceId(), port }));
        const rows = registry.beginLaunches(snapshot, plans, { cause, driver: driver.name });
        const result = await launchRows(snapshot, rows, backoffKey);
        outcome.launched += result.launched;
        outcome.failed += result.failed;
      }
    } else if (counted.length > desired) {
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
          launchTemplate: {
            id: snapshot.launchTemplate.template.id,
            version: snapshot.launchTemplate.version.version,
          },
          now: at,
        },
      );
      await Promise.all(
        victims.map(async (victim) => {
          const row = counted.find((r) => r.id === victim.instanceId);
          if (!row) return;
          const cause = activityCauses.join(
            group.capacityCause,
            activityCauses.scaleIn(at, counted.length, desired, row.id),
          );
          // Deregistered first; the runtime stops it once its targets have drained.
          const draining = registry.beginTermination(row.id, cause);
          log.info("scale-in", { group: group.name, instance: row.id, draining });
          if (!draining) {
            await finish(row);
            outcome.terminated++;
          }
        }),
      );
    }

    const settled = registry.snapshot(groupName);
    if (!settled) return outcome;
    if (registry.targetsOutOfSync(settled)) registry.syncTargets(settled);
    const inTransit = settled.instances.some(
      (row) => row.lifecycleState === "Pending" || row.lifecycleState === "Terminating",
    );
    if (inTransit) outcome.followUpMs = timing.followUpMs;
    else if (settled.group.status !== null && settled.instances.length === 0) {
      const leftovers = await driver.list(groupName);
      if (leftovers.length === 0 && registry.deleteGroupIfDone(groupName)) {
        backoffs.delete(groupName);
        log.info("group deleted", { group: groupName });
      } else if (leftovers.length > 0) outcome.followUpMs = timing.followUpMs;
    }
    registry.pruneTerminated(groupName, Date.now() - hourMs);
    return outcome;
  }

  return {
    /** One pass over one group; passes of the same group in this process run one after another. */
    async run(groupName: string): Promise<PassOutcome> {
      const previous = running.get(groupName) ?? Promise.resolve();
      const current = previous.catch(() => undefined).then(() => pass(groupName));
      running.set(groupName, current);
      try {
        return await current;
      } finally {
        if (running.get(groupName) === current) running.delete(groupName);
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
