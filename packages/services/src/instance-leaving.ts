import { check } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity } from "./group-capacity.ts";
import { findGroup } from "./group-view.ts";
import {
  leaveTargetGroups,
  membersOf,
  openMoveActivity,
  requireInstanceIds,
  sizeViolation,
} from "./instance-moves.ts";
import type { Activity } from "./shapes/activities.ts";

/*
 * EnterStandby and DetachInstances are one move with different names: the instances leave their target
 * groups (a draining state, then the final one), stop counting toward the capacity, and the desired
 * capacity shrinks with them when ShouldDecrementDesiredCapacity says so (else the reconciler launches
 * replacements).
 */

const { autoScalingGroups, instances } = schema;

export interface LeavingMove {
  /** States an instance may leave from, and AWS's sentence when it is in another. */
  from: readonly string[];
  notAllowed: (id: string) => string;
  /** The state while its targets drain, and once they have. */
  draining: string;
  done: string;
  /** "moved to standby", "detached": the activities' causes. */
  verb: string;
  /** What sizeViolation says the user tried: "place into standby", "detach". */
  attempt: string;
  description: (id: string) => string;
  /** Why the group is reconciled (logs). */
  reason: string;
}

export function leaveService(
  ctx: ServiceContext,
  groupName: string,
  input: { instanceIds?: string[]; shouldDecrementDesiredCapacity?: boolean },
  move: LeavingMove,
): Activity[] {
  check(input.shouldDecrementDesiredCapacity !== undefined, "ShouldDecrementDesiredCapacity is required");
  const decrement = input.shouldDecrementDesiredCapacity;
  const ids = requireInstanceIds(input.instanceIds);
  return mutate(ctx, (tx, announce): Activity[] => {
    const group = findGroup(tx, groupName);
    const rows = membersOf(tx, group, ids);
    for (const row of rows) check(move.from.includes(row.lifecycleState), move.notAllowed(row.id));
    const from = group.desiredCapacity;
    const to = decrement ? from - rows.length : from;
    if (to < group.minSize) throw sizeViolation(group, move.attempt, rows.length);
    const now = ctx.now();
    const at = isoSeconds(now);
    const activities = rows.map((row) => {
      const draining = leaveTargetGroups(tx, row, now);
      tx.update(instances)
        .set({ lifecycleState: draining ? move.draining : move.done, decrementedDesired: decrement })
        .where(eq(instances.id, row.id))
        .run();
      const cause = decrement
        ? `At ${at} instance ${row.id} was ${move.verb} in response to a user request, shrinking the capacity from ${from} to ${to}.`
        : `At ${at} instance ${row.id} was ${move.verb} in response to a user request.`;
      return openMoveActivity(
        tx,
        row,
        move.description(row.id),
        cause,
        now,
        draining ? "InProgress" : "Successful",
      );
    });
    if (!decrement) {
      // The replacement's launch activity says only why it launches (the capacity difference).
      tx.update(autoScalingGroups)
        .set({ capacityCause: null })
        .where(eq(autoScalingGroups.name, group.name))
        .run();
    } else {
      changeDesiredCapacity(
        tx,
        announce,
        group,
        to,
        () =>
          `At ${at} ${rows.length === 1 ? "an instance was" : `${rows.length} instances were`} ${move.verb} in response to a user request, shrinking the capacity from ${from} to ${to}.`,
      );
    }
    announce.groups.push({ name: group.name, reason: move.reason });
    return activities;
  });
}
