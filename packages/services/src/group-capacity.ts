import { check, checkSizes, Errors } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, isNull } from "drizzle-orm";
import { type Announcements, isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { findGroup, groupView } from "./group-view.ts";
import type { AutoScalingGroup } from "./shapes/groups.ts";

/* A group's desired capacity: how it moves, and when a move must wait (cooldown). */

const { autoScalingGroups, scalingActivities } = schema;
type GroupRow = typeof autoScalingGroups.$inferSelect;

/**
 * Moves a group's desired capacity and remembers why, in AWS's words, for the activities the
 * reconciler will record. Answers whether anything changed.
 */
export function changeDesiredCapacity(
  tx: Tx,
  announce: Announcements,
  group: GroupRow,
  desired: number,
  because: (from: number, to: number) => string,
): boolean {
  if (desired === group.desiredCapacity) return false;
  tx.update(autoScalingGroups)
    .set({ desiredCapacity: desired, capacityCause: because(group.desiredCapacity, desired) })
    .where(eq(autoScalingGroups.name, group.name))
    .run();
  announce.groups.push({ name: group.name, reason: "desired capacity changed" });
  return true;
}

/**
 * The sizes UpdateAutoScalingGroup (and a scheduled action, which is the same update) leaves: a new
 * minimum above the desired capacity raises it, a new maximum below lowers it, as AWS does. Checked.
 */
export function resolveSizes(
  row: GroupRow,
  input: { minSize?: number | undefined; maxSize?: number | undefined; desiredCapacity?: number | undefined },
): { minSize: number; maxSize: number; desiredCapacity: number } {
  const minSize = input.minSize ?? row.minSize;
  const maxSize = input.maxSize ?? row.maxSize;
  const desiredCapacity = input.desiredCapacity ?? Math.min(maxSize, Math.max(minSize, row.desiredCapacity));
  checkSizes({ minSize, maxSize, desiredCapacity });
  return { minSize, maxSize, desiredCapacity };
}

/**
 * AWS's cause of an update of a group's sizes, by whom: "a user request" (UpdateAutoScalingGroup) or
 * "a scheduled action" (At ... a scheduled action update of AutoScalingGroup constraints to min: 1,
 * max: 5, desired: 3 changing the desired capacity from 1 to 3.).
 */
export function constraintsCause(
  who: "a user request" | "a scheduled action",
  at: number,
  sizes: { minSize: number; maxSize: number },
): (from: number, to: number) => string {
  return (from, to) =>
    `At ${isoSeconds(at)} ${who} update of AutoScalingGroup constraints to min: ${sizes.minSize}, max: ${sizes.maxSize}, desired: ${to} changing the desired capacity from ${from} to ${to}.`;
}

/** A scaling activity is in progress, or the cooldown since the last one has not run out. */
export function inCooldown(db: Db | Tx, group: GroupRow, cooldownSeconds: number, now: number): boolean {
  const running = db
    .select({ id: scalingActivities.id })
    .from(scalingActivities)
    // Unfinished in any status: InProgress, or WaitingForELBConnectionDraining while a scale-in drains.
    .where(and(eq(scalingActivities.groupName, group.name), isNull(scalingActivities.endTime)))
    .get();
  if (running) return true;
  return group.lastScalingEndedAt !== null && now < group.lastScalingEndedAt + cooldownSeconds * 1000;
}

export function groupCapacityService(ctx: ServiceContext) {
  const view = (db: Db | Tx, row: GroupRow) => groupView(db, row, ctx.partition.region);
  const now = () => ctx.now();
  return {
    /** SetDesiredCapacity: within min and max; with honorCooldown, refused while in cooldown. */
    setDesiredCapacity(
      name: string,
      input: { desiredCapacity?: number; honorCooldown?: boolean },
    ): AutoScalingGroup {
      check(input.desiredCapacity !== undefined, "DesiredCapacity is required");
      const desired = input.desiredCapacity;
      check(Number.isInteger(desired) && desired >= 0, "DesiredCapacity must be a non-negative integer");
      return mutate(ctx, (tx, announce) => {
        const row = findGroup(tx, name);
        if (row.status !== null)
          throw new Errors.ScalingActivityInProgress(`AutoScalingGroup '${name}' is being deleted`);
        check(
          desired <= row.maxSize,
          `New SetDesiredCapacity value ${desired} is above max value ${row.maxSize} for the AutoScalingGroup.`,
        );
        check(
          desired >= row.minSize,
          `New SetDesiredCapacity value ${desired} is below min value ${row.minSize} for the AutoScalingGroup.`,
        );
        if (input.honorCooldown && inCooldown(tx, row, row.defaultCooldown, now())) {
          throw new Errors.ScalingActivityInProgress(
            "Scaling activity is in progress or the group is in its cooldown period",
          );
        }
        const at = isoSeconds(now());
        changeDesiredCapacity(
          tx,
          announce,
          row,
          desired,
          (from, to) =>
            `At ${at} a user request explicitly set group desired capacity changing the desired capacity from ${from} to ${to}.`,
        );
        return view(tx, findGroup(tx, row.name));
      });
    },
  };
}
