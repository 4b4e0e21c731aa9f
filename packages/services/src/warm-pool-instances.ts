import { type ActivityStatus, type LifecycleState, launchingTransition } from "@scaleout/core";
import { schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { startActivity, updateActivity } from "./activities.ts";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { deregisterRows, targetKey, targetRowsOf } from "./instance-targets.ts";
import {
  fromWarmPoolDescription,
  type GroupSnapshot,
  type InstanceRow,
  type Launched,
  type LaunchPlan,
  openActivity,
  plannedInstanceRow,
} from "./instances.ts";
import { clearActions, openActions } from "./lifecycle-actions.ts";
import { findWarmPool, type WarmPoolRow } from "./warm-pools.ts";

/*
 * The worker's registry operations for warm pool instances (reconcile/warm-pool.ts decides). As in
 * instances.ts, each step is one transaction and the row exists before the runtime is asked for
 * anything: a launch into the pool is a Warmed:Pending row first, a pool instance taken by a scale-out is
 * a Pending row (with its "from warm pool" activity) before the runtime starts it again, so a worker that
 * dies between two steps leaves rows the next pass can finish or undo.
 */

const { instances, targets, warmPools } = schema;

/** AWS's activity sentences for the warm pool (the descriptions are AWS's; see docs/aws-differences.md). */
export const warmPoolActivities = {
  launchInto: (instanceId: string) => `Launching a new EC2 instance into warm pool: ${instanceId}`,
  launchFrom: fromWarmPoolDescription,
  terminateFrom: (instanceId: string) => `Terminating EC2 instance from warm pool: ${instanceId}`,
  returnTo: (instanceId: string) => `Returning EC2 instance to warm pool: ${instanceId}`,
  launchCause: (at: number, from: number, to: number) =>
    `At ${isoSeconds(at)} an instance was launched into the warm pool in response to a difference between the warm pool's desired and actual size, increasing the warm pool size from ${from} to ${to}.`,
  terminateCause: (at: number, from: number, to: number) =>
    `At ${isoSeconds(at)} an instance was taken out of the warm pool in response to a difference between the warm pool's desired and actual size, shrinking the warm pool size from ${from} to ${to}.`,
  deleteCause: (at: number) =>
    `At ${isoSeconds(at)} an instance was taken out of the warm pool in response to a user request to delete the warm pool.`,
  fromPoolCause: (at: number, from: number, to: number) =>
    `At ${isoSeconds(at)} an instance was started from the warm pool in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${to}.`,
  returnCause: (at: number, from: number, to: number, instanceId: string) =>
    `At ${isoSeconds(at)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${from} to ${to}.  At ${isoSeconds(at)} instance ${instanceId} was selected to return to the warm pool.`,
};

/**
 * An instance's leftover target rows go as finishTermination's do: a drained target keeps showing
 * draining until its deadline, as AWS shows it (the proxy removes it then).
 */
function removeTargets(tx: Tx, row: InstanceRow, now: number): void {
  for (const target of targetRowsOf(tx, row)) {
    const showsDraining =
      target.state === "draining" &&
      target.drainedAt !== null &&
      target.drainDeadline !== null &&
      target.drainDeadline > now;
    if (!showsDraining) tx.delete(targets).where(targetKey(target)).run();
  }
}

export function warmPoolRegistry(ctx: ServiceContext) {
  const zone = `${ctx.partition.region}a`;
  const details = { "Subnet ID": "subnet-local", "Availability Zone": zone };

  const findInstance = (tx: Tx, id: string): InstanceRow | undefined =>
    tx.select().from(instances).where(eq(instances.id, id)).get();

  /** Ends the open activity of `description` for the row's instance. */
  function endActivity(
    tx: Tx,
    row: InstanceRow,
    description: string,
    update: { statusCode: ActivityStatus; statusMessage?: string; description?: string; now: number },
  ): void {
    const open = openActivity(tx, row.groupName, description);
    if (open) updateActivity(tx, open.id, { progress: 100, ...update });
  }

  return {
    /** The group's warm pool row, or undefined. */
    pool(groupName: string): WarmPoolRow | undefined {
      return findWarmPool(ctx.db, groupName);
    },

    /** A pool whose deletion was asked for goes once its last instance has left. */
    deletePool(groupName: string): void {
      mutate(ctx, (tx) => {
        tx.delete(warmPools).where(eq(warmPools.groupName, groupName)).run();
      });
    },

    /** Step 1 of a launch into the pool: Warmed:Pending rows and their InProgress activities. */
    beginPoolLaunches(
      snapshot: GroupSnapshot,
      plans: LaunchPlan[],
      options: { cause: string; driver: string; poolState: string },
    ): InstanceRow[] {
      const now = ctx.now();
      const { group, launchTemplate } = snapshot;
      return mutate(ctx, (tx) =>
        plans.map((plan) => {
          const row = plannedInstanceRow(group, launchTemplate, plan, {
            lifecycleState: "Warmed:Pending",
            driver: options.driver,
            zone,
            now,
            warmPoolState: options.poolState,
          });
          tx.insert(instances).values(row).run();
          startActivity(tx, {
            groupName: group.name,
            description: warmPoolActivities.launchInto(row.id),
            cause: options.cause,
            details,
            now,
          });
          return row;
        }),
      );
    },

    /**
     * A Warmed:Pending instance is prepared (launched, and parked unless the pool runs its instances):
     * it rests in `state` (Warmed:Stopped, Warmed:Running or Warmed:Hibernated). Also how an instance
     * returned to the pool on scale-in settles, its leftover target rows gone.
     */
    prepared(instanceId: string, state: LifecycleState, launched: Launched): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Warmed:Pending" && row?.lifecycleState !== "Warmed:Pending:Proceed")
          return;
        removeTargets(tx, row, now);
        tx.update(instances)
          .set({
            lifecycleState: state,
            driverRef: launched.ref,
            address: launched.address,
            port: launched.port,
            inServiceAt: null,
          })
          .where(eq(instances.id, instanceId))
          .run();
        endActivity(tx, row, warmPoolActivities.launchInto(row.id), { statusCode: "Successful", now });
        endActivity(tx, row, warmPoolActivities.returnTo(row.id), { statusCode: "Successful", now });
      });
    },

    /**
     * Launch lifecycle hooks apply to a launch into the pool as AWS applies them: a new Warmed:Pending
     * instance waits in Warmed:Pending:Wait (running, never registered) with one action per hook, the
     * notification's Destination WarmPool. Answers false when the group has no launch hook.
     */
    beginPoolLaunchWait(instanceId: string): boolean {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Warmed:Pending") return row?.lifecycleState === "Warmed:Pending:Wait";
        if (openActions(ctx, tx, announce, row, launchingTransition) === 0) return false;
        tx.update(instances)
          .set({ lifecycleState: "Warmed:Pending:Wait" })
          .where(eq(instances.id, instanceId))
          .run();
        const open = openActivity(tx, row.groupName, warmPoolActivities.launchInto(row.id));
        if (open) updateActivity(tx, open.id, { statusCode: "MidLifecycleAction", now });
        return true;
      });
    },

    /** Every launch action continued: Warmed:Pending:Wait → Warmed:Pending:Proceed (parked next). */
    proceedPoolLaunch(instanceId: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Warmed:Pending:Wait") return;
        tx.update(instances)
          .set({ lifecycleState: "Warmed:Pending:Proceed" })
          .where(eq(instances.id, instanceId))
          .run();
        clearActions(tx, instanceId);
        const open = openActivity(tx, row.groupName, warmPoolActivities.launchInto(row.id));
        if (open) updateActivity(tx, open.id, { statusCode: "InProgress", now });
      });
    },

    /** A launch into the pool abandoned (once the runtime has stopped it): Terminated, activity Cancelled. */
    abandonPoolLaunch(instanceId: string, statusMessage: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row?.lifecycleState.startsWith("Warmed:Pending")) return;
        tx.update(instances)
          .set({ lifecycleState: "Terminated", terminatingAt: now })
          .where(eq(instances.id, instanceId))
          .run();
        clearActions(tx, instanceId);
        endActivity(tx, row, warmPoolActivities.launchInto(row.id), {
          statusCode: "Cancelled",
          statusMessage,
          now,
        });
      });
    },

    /** The runtime refused a launch into the pool: Terminated, the activity Failed with the reason. */
    failPoolLaunch(instanceId: string, reason: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row) return;
        tx.update(instances)
          .set({ lifecycleState: "Terminated", terminatingAt: now })
          .where(eq(instances.id, instanceId))
          .run();
        const failed = {
          statusCode: "Failed" as const,
          statusMessage: reason,
          description: `Launching a new EC2 instance into warm pool.  Status Reason: ${reason}. Launching EC2 instance failed.`,
          now,
        };
        endActivity(tx, row, warmPoolActivities.launchInto(row.id), failed);
        endActivity(tx, row, warmPoolActivities.returnTo(row.id), { ...failed, description: undefined });
      });
    },

    /**
     * Step 1 of a scale-out from the pool: the prepared instance becomes Pending, with its "from warm
     * pool" activity; the runtime starts it next and instances.ts's completeLaunch puts it in service
     * (registered in the group's target groups) exactly as it does a cold launch.
     */
    beginLeavingPool(instanceId: string, cause: string): InstanceRow | undefined {
      const now = ctx.now();
      return mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row?.lifecycleState.startsWith("Warmed:")) return undefined;
        const next: InstanceRow = { ...row, lifecycleState: "Pending", warmPoolState: null };
        tx.update(instances)
          .set({ lifecycleState: "Pending", warmPoolState: null })
          .where(eq(instances.id, instanceId))
          .run();
        startActivity(tx, {
          groupName: row.groupName,
          description: warmPoolActivities.launchFrom(row.id),
          cause,
          details,
          now,
        });
        return next;
      });
    },

    /**
     * Scale-in with ReuseOnScaleIn: the instance leaves service for the pool. Deregistered first (it
     * drains like a terminating instance), Warmed:Pending until the pass that finds it drained parks it.
     * Answers whether it drains, or undefined when the instance is not in service (it cannot return).
     */
    beginReturnToPool(
      instanceId: string,
      cause: string,
      poolState: string,
    ): { draining: boolean } | undefined {
      const now = ctx.now();
      return mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "InService") return undefined;
        const draining = deregisterRows(tx, targetRowsOf(tx, row), now);
        tx.update(instances)
          .set({ lifecycleState: "Warmed:Pending", warmPoolState: poolState })
          .where(eq(instances.id, instanceId))
          .run();
        startActivity(tx, {
          groupName: row.groupName,
          description: warmPoolActivities.returnTo(row.id),
          cause,
          details,
          now,
          statusCode: draining ? "WaitingForELBConnectionDraining" : "InProgress",
        });
        return { draining };
      });
    },

    /** Step 1 of a termination from the pool: Warmed:Terminating and its activity. */
    beginPoolTermination(instanceId: string, cause: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row || row.lifecycleState === "Terminated") return;
        tx.update(instances)
          .set({ lifecycleState: "Warmed:Terminating", terminatingAt: row.terminatingAt ?? now })
          .where(eq(instances.id, instanceId))
          .run();
        if (!openActivity(tx, row.groupName, warmPoolActivities.terminateFrom(row.id))) {
          startActivity(tx, {
            groupName: row.groupName,
            description: warmPoolActivities.terminateFrom(row.id),
            cause,
            details,
            now,
          });
        }
        clearActions(tx, instanceId);
        // A launch or return into the pool that never finished ends here too.
        endActivity(tx, row, warmPoolActivities.launchInto(row.id), { statusCode: "Cancelled", now });
        endActivity(tx, row, warmPoolActivities.returnTo(row.id), { statusCode: "Cancelled", now });
      });
    },

    /** The runtime has stopped a pool instance: Terminated, its leftover target rows gone, activity done. */
    finishPoolTermination(instanceId: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row) return;
        removeTargets(tx, row, now);
        tx.update(instances)
          .set({ lifecycleState: "Terminated", terminatingAt: row.terminatingAt ?? now })
          .where(eq(instances.id, instanceId))
          .run();
        endActivity(tx, row, warmPoolActivities.terminateFrom(row.id), { statusCode: "Successful", now });
      });
    },
  };
}

export type WarmPoolRegistry = ReturnType<typeof warmPoolRegistry>;
