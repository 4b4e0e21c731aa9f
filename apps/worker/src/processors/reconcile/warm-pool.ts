import { connect } from "node:net";
import type { RunningInstance } from "@scaleout/compute";
import {
  abandonedLaunchMessage,
  isPreparedInPool,
  isSuspended,
  isWarmPoolLifecycleState,
  type LifecycleState,
  launchingTransition,
  newInstanceId,
  type PoolInstance,
  planWarmPool,
  takeFromPool,
  type WarmPoolState,
  waitDecision,
  warmedState,
  warmPoolTargetSize,
} from "@scaleout/core";
import {
  activityCauses,
  type GroupSnapshot,
  type InstanceRow,
  isoSeconds,
  type LaunchPlan,
  lifecycleRegistry,
  warmPoolActivities,
  warmPoolConfig,
  warmPoolRegistry,
} from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { Launcher } from "./launches.ts";
import { alive, type InstanceStep, type PassState } from "./pass-state.ts";

/*
 * The warm pool, as a step of the group's pass (AWS user guide, "Warm pools"):
 *
 *   launch ─▶ Warmed:Pending ─park─▶ Warmed:Stopped ─scale-out─▶ Pending ─▶ InService
 *                 ▲               (or Warmed:Running)                          │
 *                 └────────── scale-in with ReuseOnScaleIn (drained first) ────┘
 *
 * `maintain` keeps the pool at max(MinSize, MaxGroupPreparedCapacity − desired) prepared instances (after
 * the capacity step, so a scale-out has taken its share first) and empties a pool being deleted;
 * `takeForScaleOut` serves a scale-out from prepared instances before anything launches cold;
 * `returnOnScaleIn` sends a scaled-in instance back to the pool. Pool instances never count toward the
 * capacity and are never registered in a target group.
 *
 * Lifecycle hooks: a launch hook holds a new pool instance in Warmed:Pending:Wait (running, unregistered)
 * until its actions end, as AWS does: CONTINUE parks it (Warmed:Pending:Proceed, then the pool's state),
 * ABANDON or a timeout with that default terminates it and the pool launches another. A pool instance
 * leaving for the group goes through Pending, where the hooks of a cold launch apply (Pending:Wait).
 */

/** How long a new pool instance may take to accept connections before it is parked anyway. */
const preparationLimitMs = 30_000;

export function createWarmPool(ctx: WorkerContext, launcher: Launcher) {
  const { registry, driver, log, timing } = ctx;
  const pools = warmPoolRegistry(ctx.services.ctx);
  const waits = lifecycleRegistry(ctx.services.ctx);

  const poolInstancesOf = (snapshot: GroupSnapshot) =>
    snapshot.instances.filter((row) => isWarmPoolLifecycleState(row.lifecycleState));

  function asPoolInstance(snapshot: GroupSnapshot, row: InstanceRow): PoolInstance {
    const { template, version } = snapshot.launchTemplate;
    return {
      instanceId: row.id,
      lifecycleState: row.lifecycleState,
      launchedAt: row.launchedAt,
      current: row.launchTemplateId === template.id && row.launchTemplateVersion === version.version,
    };
  }

  /** Takes a pool instance out of the pool for good: Warmed:Terminating, stopped, Terminated. */
  async function terminateFromPool(row: InstanceRow, cause: string, pass: PassState): Promise<void> {
    pools.beginPoolTermination(row.id, cause);
    await launcher.terminateRuntime(row.id);
    pools.finishPoolTermination(row.id);
    pass.outcome.terminated++;
    log.info("warm pool instance terminated", { group: row.groupName, instance: row.id });
  }

  /** Parks a launched (or returned) instance as the pool's state asks and records it prepared. */
  async function park(row: InstanceRow, instance: RunningInstance, poolState: WarmPoolState): Promise<void> {
    if (poolState !== "Running" && instance.state !== "stopped") {
      await driver.park(row.id, {
        graceSeconds: timing.terminateGraceSeconds,
        keepMemory: poolState === "Hibernated",
      });
    }
    pools.prepared(row.id, warmedState(poolState), {
      ref: instance.ref,
      address: instance.address,
      port: instance.port,
    });
    log.info("warm pool instance prepared", { group: row.groupName, instance: row.id, state: poolState });
  }

  /**
   * Warmed:Pending (and Warmed:Pending:Proceed, once a launch hook has let it go): a launch into the pool
   * parks once the instance accepts connections (or after `preparationLimitMs`); an instance returned on
   * scale-in parks once its targets have drained.
   */
  const pending: InstanceStep = async (row, pass) => {
    const pool = pools.pool(row.groupName);
    const instance = pass.runtime.get(row.id);
    const poolState = warmPoolStateOf(row, pool && warmPoolConfig(pool).poolState);
    // A docker container that stopped is what park leaves; only the process driver tells "parked" apart.
    const parked =
      instance?.state === "stopped" || (driver.name === "docker" && instance?.state === "exited");
    if (instance && parked && poolState !== "Running") {
      await park(row, instance, poolState);
      return;
    }
    if (!instance || !alive(instance)) {
      await launcher.terminateRuntime(row.id);
      const reason =
        instance?.error ?? (instance ? `exited with code ${instance.exitCode}` : "instance is gone");
      pools.failPoolLaunch(row.id, reason);
      log.warn("warm pool instance lost before it was prepared", {
        group: row.groupName,
        instance: row.id,
        reason,
      });
      return;
    }
    if (!registry.drained(row.id)) return;
    const launching = row.inServiceAt === null;
    const ready = await accepts(instance.address, instance.port, 250);
    if (!ready && pass.now < row.launchedAt + preparationLimitMs && launching) return;
    // Launch hooks hold a new pool instance (Warmed:Pending:Wait) before it parks.
    if (row.lifecycleState === "Warmed:Pending" && launching && pools.beginPoolLaunchWait(row.id)) return;
    await park(row, instance, poolState);
  };

  /** Warmed:Pending:Wait: as Pending:Wait (pending-wait.ts), but CONTINUE parks it in the pool. */
  const wait: InstanceStep = async (row, pass) => {
    if (!alive(pass.runtime.get(row.id))) {
      await launcher.terminateRuntime(row.id);
      pools.abandonPoolLaunch(row.id, "Instance stopped while it waited for its lifecycle actions");
      return;
    }
    const actions = waits.actions(row.id, launchingTransition);
    const outcome = waitDecision(actions, Date.now());
    if (outcome.decision === "wait") return;
    if (outcome.decision === "continue") {
      pools.proceedPoolLaunch(row.id);
      log.info("warm pool launch lifecycle actions continued", { group: row.groupName, instance: row.id });
      return;
    }
    await launcher.terminateRuntime(row.id);
    pools.abandonPoolLaunch(row.id, abandonedLaunchMessage(actions[outcome.index]?.token ?? "", outcome.end));
    pass.outcome.terminated++;
    log.info("warm pool launch lifecycle action abandoned", { group: row.groupName, instance: row.id });
  };

  /**
   * A prepared pool instance whose runtime is gone, or (in a Running pool) has exited, is replaced:
   * AWS health-checks warm pool instances too.
   */
  const prepared: InstanceStep = async (row, pass) => {
    const instance = pass.runtime.get(row.id);
    const restingOk =
      instance !== undefined &&
      (row.lifecycleState === "Warmed:Running"
        ? alive(instance)
        : instance.state === "stopped" || (driver.name === "docker" && instance.state === "exited"));
    if (restingOk) return;
    await terminateFromPool(row, activityCausesEc2(pass.now), pass);
  };

  const terminating: InstanceStep = async (row, pass) => {
    await launcher.terminateRuntime(row.id);
    pools.finishPoolTermination(row.id);
    pass.outcome.terminated++;
  };

  /** Launches `count` instances into the pool; they park in a later pass (Warmed:Pending's step). */
  async function launchIntoPool(
    snapshot: GroupSnapshot,
    count: number,
    size: number,
    target: number,
    pass: PassState,
  ) {
    const pool = pools.pool(snapshot.group.name);
    if (!pool) return;
    const key = launcher.backoffKey(snapshot);
    if (launcher.backingOff(snapshot.group.name, key, Date.now()) > 0) return;
    const plans: LaunchPlan[] = Array.from({ length: count }, () => ({ instanceId: newInstanceId() }));
    const cause = warmPoolActivities.launchCause(Date.now(), size, target);
    const rows = pools.beginPoolLaunches(snapshot, plans, {
      cause,
      driver: driver.name,
      poolState: warmPoolConfig(pool).poolState,
    });
    const result = await launcher.launchRows(snapshot, rows, key, {
      launched: (instanceId, launched) => registry.recordRuntime(instanceId, launched),
      failed: (instanceId, reason) => pools.failPoolLaunch(instanceId, reason),
    });
    pass.outcome.launched += result.launched;
    pass.outcome.failed += result.failed;
  }

  return {
    steps: {
      "Warmed:Pending": pending,
      "Warmed:Pending:Wait": wait,
      "Warmed:Pending:Proceed": pending,
      "Warmed:Stopped": prepared,
      "Warmed:Running": prepared,
      "Warmed:Hibernated": prepared,
      "Warmed:Terminating": terminating,
      "Warmed:Terminating:Proceed": terminating,
    } satisfies Partial<Record<LifecycleState, InstanceStep>>,

    /**
     * A scale-out's first source: prepared pool instances start again (Pending, then InService and
     * registered, as a cold launch ends). Answers how many it took; cold launches make up the rest.
     */
    async takeForScaleOut(
      snapshot: GroupSnapshot,
      current: number,
      desired: number,
      pass: PassState,
    ): Promise<number> {
      const pool = pools.pool(snapshot.group.name);
      if (!pool || pool.status !== null) return 0;
      const count = desired - current;
      // As a cold launch's: replacements of unhealthy instances are not a change of the desired capacity.
      const sentence = activityCauses.launch(Date.now(), current, desired);
      const cause =
        pass.replaced >= count ? sentence : activityCauses.join(snapshot.group.capacityCause, sentence);
      const taken = takeFromPool(
        poolInstancesOf(snapshot).map((row) => asPoolInstance(snapshot, row)),
        count,
      );
      const results = await Promise.all(
        taken.map(async ({ instanceId }) => {
          const row = pools.beginLeavingPool(instanceId, cause);
          if (!row) return false;
          try {
            const instance = await driver.resume(instanceId);
            registry.completeLaunch(instanceId, {
              ref: instance.ref,
              address: instance.address,
              port: instance.port,
            });
            pass.outcome.launched++;
            log.info("instance launched from the warm pool", { group: row.groupName, instance: instanceId });
            return true;
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            await launcher.terminateRuntime(instanceId).catch(() => undefined);
            registry.failLaunch(instanceId, reason);
            pass.outcome.failed++;
            log.warn("a warm pool instance would not start", {
              group: row.groupName,
              instance: instanceId,
              reason,
            });
            return false;
          }
        }),
      );
      return results.filter(Boolean).length;
    },

    /**
     * Scale-in under ReuseOnScaleIn: the instance drains and returns to the pool instead of terminating.
     * Answers false (the caller terminates) when the group has no such pool.
     */
    async returnOnScaleIn(
      snapshot: GroupSnapshot,
      row: InstanceRow,
      cause: { from: number; to: number },
      pass: PassState,
    ): Promise<boolean> {
      const pool = pools.pool(snapshot.group.name);
      if (!pool?.reuseOnScaleIn || pool.status !== null || snapshot.group.status !== null) return false;
      const at = Date.now();
      const sentence = warmPoolActivities.returnCause(at, cause.from, cause.to, row.id);
      const full = snapshot.group.capacityCause ? `${snapshot.group.capacityCause}  ${sentence}` : sentence;
      const returning = pools.beginReturnToPool(row.id, full, pool.poolState);
      // Not in service (still launching): it cannot return; the caller takes it out as usual.
      if (!returning) return false;
      log.info("scale-in returns an instance to the warm pool", {
        group: row.groupName,
        instance: row.id,
        draining: returning.draining,
      });
      const instance = pass.runtime.get(row.id);
      if (!returning.draining && instance && alive(instance)) {
        await park({ ...row, lifecycleState: "Warmed:Pending" }, instance, warmPoolConfig(pool).poolState);
      }
      return true;
    },

    /** Keeps the pool at its size, and empties a pool (or a group) being deleted. */
    async maintain(snapshot: GroupSnapshot, pass: PassState): Promise<void> {
      const { group } = snapshot;
      const pool = pools.pool(group.name);
      const members = poolInstancesOf(snapshot).filter(
        (row) => !row.lifecycleState.startsWith("Warmed:Terminating"),
      );
      if (!pool || pool.status !== null || group.status !== null) {
        const cause = warmPoolActivities.deleteCause(Date.now());
        for (const row of members) await terminateFromPool(row, cause, pass);
        if (pool?.status === "PendingDelete") {
          pools.deletePool(group.name);
          log.info("warm pool deleted", { group: group.name });
        }
        return;
      }
      const target = warmPoolTargetSize(warmPoolConfig(pool), group);
      const plan = planWarmPool(
        members.map((row) => asPoolInstance(snapshot, row)),
        target,
      );
      const size = members.filter(
        (row) => isPreparedInPool(row.lifecycleState) || row.lifecycleState.startsWith("Warmed:Pending"),
      ).length;
      if (plan.terminate.length > 0 && !isSuspended(group, "Terminate")) {
        const cause = warmPoolActivities.terminateCause(Date.now(), size, target);
        for (const victim of plan.terminate) {
          const row = members.find((r) => r.id === victim.instanceId);
          if (row) await terminateFromPool(row, cause, pass);
        }
      }
      if (plan.launch > 0 && !isSuspended(group, "Launch"))
        await launchIntoPool(snapshot, plan.launch, size, target, pass);
    },
  };
}

export type WarmPool = ReturnType<typeof createWarmPool>;

/** The pool state an instance is prepared for: its row's, else the pool's, else Stopped. */
function warmPoolStateOf(row: InstanceRow, poolState: WarmPoolState | undefined): WarmPoolState {
  const recorded = row.warmPoolState;
  if (recorded === "Stopped" || recorded === "Running" || recorded === "Hibernated") return recorded;
  return poolState ?? "Stopped";
}

/** AWS's EC2 health sentence, for a pool instance found gone. */
function activityCausesEc2(at: number): string {
  return `At ${isoSeconds(at)} an instance was taken out of the warm pool in response to an EC2 health check indicating it has been terminated or stopped.`;
}

/** Whether something accepts a TCP connection at the instance's address and port within `timeoutMs`. */
function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host || "127.0.0.1", port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
