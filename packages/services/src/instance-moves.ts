import { type AwsError, Errors } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { startActivity, toActivity, updateActivity } from "./activities.ts";
import { mutate, type ServiceContext } from "./context.ts";
import { deregisterRows, targetRowsOf } from "./instance-targets.ts";
import type { Activity } from "./shapes/activities.ts";

/*
 * What standby, detach and attach share: finding a group's instances by id with AWS's errors, the
 * activities that record each move (AWS's descriptions), taking an instance out of its target groups,
 * and the worker's half: an instance that drained finishes its move (EnteringStandby → Standby,
 * Detaching → Detached).
 */

const { instances, scalingActivities } = schema;
type InstanceRow = typeof instances.$inferSelect;
type GroupRow = typeof schema.autoScalingGroups.$inferSelect;

/** AWS's activity descriptions; the reconciler finds an open activity by its description. */
export const moveDescriptions = {
  enterStandby: (id: string) => `Moving EC2 instance to Standby: ${id}`,
  exitStandby: (id: string) => `Moving EC2 instance out of Standby: ${id}`,
  detach: (id: string) => `Detaching EC2 instance: ${id}`,
  attach: (id: string) => `Attaching an existing EC2 instance: ${id}`,
};

/** The moves whose activity ends when the instance goes InService, as a launch's does. */
export const intoServiceDescriptions = (id: string): string[] => [
  moveDescriptions.exitStandby(id),
  moveDescriptions.attach(id),
];

export const zoneDetails = (row: Pick<InstanceRow, "availabilityZone">) => ({
  "Subnet ID": "subnet-local",
  "Availability Zone": row.availabilityZone,
});

/** The ids a move names: required, each once. */
export function requireInstanceIds(ids: readonly string[] | undefined): string[] {
  if (ids === undefined || ids.length === 0) {
    throw new Errors.ValidationError("The parameter InstanceIds must contain at least one instance ID");
  }
  return [...new Set(ids)];
}

/** The group's instances of these ids, in the order given; an id the group lacks is AWS's ValidationError. */
export function membersOf(tx: Db | Tx, group: GroupRow, ids: readonly string[]): InstanceRow[] {
  const rows = tx
    .select()
    .from(instances)
    .where(and(eq(instances.groupName, group.name), inArray(instances.id, [...ids])))
    .all();
  return ids.map((id) => {
    const row = rows.find((r) => r.id === id);
    if (!row || row.lifecycleState === "Terminated" || row.lifecycleState === "Detached") {
      throw new Errors.ValidationError(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
    }
    return row;
  });
}

/** AWS's refusal of a move that would take the desired capacity outside min..max. */
export function sizeViolation(group: GroupRow, what: string, count: number): AwsError {
  const noun = count === 1 ? "instance" : "instances";
  return new Errors.ValidationError(
    `AutoScalingGroup ${group.name} has min-size=${group.minSize}, max-size=${group.maxSize}, and desired-size=${group.desiredCapacity}. To ${what} ${count} ${noun}, please update the AutoScalingGroup sizes appropriately.`,
  );
}

/** Opens a move's activity; one that is still waiting (draining) shows progress 50, as AWS's does. */
export function openMoveActivity(
  tx: Tx,
  row: InstanceRow,
  description: string,
  cause: string,
  now: number,
  status: "InProgress" | "PreInService" | "Successful",
): Activity {
  const id = startActivity(tx, {
    groupName: row.groupName,
    description,
    cause,
    details: zoneDetails(row),
    now,
    statusCode: status,
  });
  if (status !== "Successful") {
    updateActivity(tx, id, { statusCode: status, progress: status === "PreInService" ? 30 : 50, now });
  }
  const activity = tx.select().from(scalingActivities).where(eq(scalingActivities.id, id)).get();
  if (!activity) throw new Error(`activity ${id} vanished inside its own transaction`);
  return toActivity(activity);
}

/** Deregisters the instance from every target group; answers whether any of its targets drains. */
export function leaveTargetGroups(tx: Tx, row: InstanceRow, now: number): boolean {
  return deregisterRows(tx, targetRowsOf(tx, row), now);
}

/** Closes the open activity of this description, if there is one. */
export function closeActivity(tx: Tx, groupName: string, description: string, now: number): void {
  const open = tx
    .select()
    .from(scalingActivities)
    .where(
      and(
        eq(scalingActivities.groupName, groupName),
        eq(scalingActivities.description, description),
        isNull(scalingActivities.endTime),
      ),
    )
    .get();
  if (open) updateActivity(tx, open.id, { statusCode: "Successful", progress: 100, now });
}

/** The worker's side of standby and detach. */
export function instanceMoveRegistry(ctx: ServiceContext) {
  return {
    /**
     * An instance whose targets have drained finishes its move: EnteringStandby becomes Standby,
     * Detaching becomes Detached (it keeps running, outside any group), and the move's activity ends.
     */
    finishMove(instanceId: string): void {
      const now = ctx.now();
      mutate(ctx, (tx) => {
        const row = tx.select().from(instances).where(eq(instances.id, instanceId)).get();
        if (!row) return;
        if (row.lifecycleState === "EnteringStandby") {
          tx.update(instances).set({ lifecycleState: "Standby" }).where(eq(instances.id, row.id)).run();
          closeActivity(tx, row.groupName, moveDescriptions.enterStandby(row.id), now);
        } else if (row.lifecycleState === "Detaching") {
          tx.update(instances)
            .set({ lifecycleState: "Detached", decrementedDesired: null })
            .where(eq(instances.id, row.id))
            .run();
          closeActivity(tx, row.groupName, moveDescriptions.detach(row.id), now);
        }
      });
    },

    /**
     * A health check failed while ReplaceUnhealthy (or Terminate) is suspended: the instance is marked
     * Unhealthy and stays in service until the process is resumed, when the reconciler replaces it.
     */
    markUnhealthy(instanceId: string): void {
      mutate(ctx, (tx) => {
        tx.update(instances).set({ healthStatus: "Unhealthy" }).where(eq(instances.id, instanceId)).run();
      });
    },

    /**
     * Lifecycle state and group of each of these instances: an instance the runtime runs is an orphan
     * only when no row knows it or its row is Terminated. A Detached instance, or one attached to
     * another group than its runtime label names, is not.
     */
    statesOf(instanceIds: string[]): Map<string, { groupName: string; lifecycleState: string }> {
      if (instanceIds.length === 0) return new Map();
      return new Map(
        ctx.db
          .select({
            id: instances.id,
            groupName: instances.groupName,
            lifecycleState: instances.lifecycleState,
          })
          .from(instances)
          .where(inArray(instances.id, instanceIds))
          .all()
          .map((r) => [r.id, { groupName: r.groupName, lifecycleState: r.lifecycleState }]),
      );
    },
  };
}
