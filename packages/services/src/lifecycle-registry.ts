import { type LifecycleTransition, terminatingTransition } from "@scaleout/core";
import { schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { updateActivity } from "./activities.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { announceActivityEvent } from "./instance-events.ts";
import {
  type InstanceRow,
  openActivity,
  openLaunchActivity,
  putInService,
  terminateDescription,
} from "./instances.ts";
import { actionStates, clearActions, openActions } from "./lifecycle-actions.ts";

/*
 * The worker's registry operations for instances that lifecycle hooks hold. Each moves an instance one
 * state along in one transaction and only from the state it expects, so a pass that repeats it after a
 * crash does nothing twice:
 *
 *   Pending:Wait ──all CONTINUE──▶ Pending:Proceed ──▶ InService (registered)
 *        └──ABANDON / timeout──▶ (runtime stopped) Terminated, launch activity Cancelled
 *   Terminating (drained) ──hooks──▶ Terminating:Wait ──any result / timeout──▶ Terminating:Proceed ──▶ Terminated
 */

const { instances } = schema;

function findInstance(tx: Tx, instanceId: string): InstanceRow | undefined {
  return tx.select().from(instances).where(eq(instances.id, instanceId)).get();
}

function setState(tx: Tx, instanceId: string, lifecycleState: string): void {
  tx.update(instances).set({ lifecycleState }).where(eq(instances.id, instanceId)).run();
}

export function lifecycleRegistry(ctx: ServiceContext) {
  return {
    /** How the actions an instance waits on for a transition stand (with their hooks' default results). */
    actions(instanceId: string, transition: LifecycleTransition) {
      return actionStates(ctx.db, instanceId, transition);
    },

    /** Every launch action continued: Pending:Wait → Pending:Proceed, the actions done. */
    proceedLaunch(instanceId: string): void {
      mutate(ctx, (tx) => {
        if (findInstance(tx, instanceId)?.lifecycleState !== "Pending:Wait") return;
        setState(tx, instanceId, "Pending:Proceed");
        clearActions(tx, instanceId);
      });
    },

    /** Pending:Proceed → InService: registered in the group's target groups, the launch activity done. */
    putInService(instanceId: string): InstanceRow | undefined {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Pending:Proceed") return row;
        return putInService(tx, announce, row, now);
      });
    },

    /**
     * A launch abandoned (ABANDON, a timeout whose default is ABANDON, or an instance that died while it
     * waited), once the runtime has stopped the instance: Terminated, and the launch activity Cancelled
     * with AWS's status message. The capacity step launches a replacement.
     */
    abandonLaunch(instanceId: string, statusMessage: string): void {
      const now = ctx.now();
      mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Pending:Wait" && row?.lifecycleState !== "Pending:Proceed") return;
        tx.update(instances)
          .set({ lifecycleState: "Terminated", terminatingAt: now })
          .where(eq(instances.id, instanceId))
          .run();
        clearActions(tx, instanceId);
        const activity = openLaunchActivity(tx, row);
        if (activity) {
          updateActivity(tx, activity.id, { statusCode: "Cancelled", statusMessage, now });
          announceActivityEvent(tx, announce, activity.id, row.id, "EC2 Instance Launch Unsuccessful");
        }
      });
    },

    /**
     * A Terminating instance whose targets have drained: Terminating:Wait with one action per
     * termination hook (announced), or false when the group has none (the instance stops now).
     */
    beginTerminatingWait(instanceId: string): boolean {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Terminating") return row?.lifecycleState === "Terminating:Wait";
        // Launch actions of an instance taken out of service before they ended are moot.
        clearActions(tx, instanceId);
        if (openActions(ctx, tx, announce, row, terminatingTransition) === 0) return false;
        setState(tx, instanceId, "Terminating:Wait");
        const activity = openActivity(tx, row.groupName, terminateDescription(row.id));
        if (activity) updateActivity(tx, activity.id, { statusCode: "MidLifecycleAction", now });
        return true;
      });
    },

    /** The termination actions ended (CONTINUE and ABANDON alike): Terminating:Wait → Terminating:Proceed. */
    proceedTermination(instanceId: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Terminating:Wait") return;
        setState(tx, instanceId, "Terminating:Proceed");
        clearActions(tx, instanceId);
        const activity = openActivity(tx, row.groupName, terminateDescription(row.id));
        if (activity) updateActivity(tx, activity.id, { statusCode: "InProgress", now });
      });
    },
  };
}

export type LifecycleRegistry = ReturnType<typeof lifecycleRegistry>;
