import { check } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity } from "./group-capacity.ts";
import { findGroup } from "./group-view.ts";
import { leaveService } from "./instance-leaving.ts";
import {
  membersOf,
  moveDescriptions,
  openMoveActivity,
  requireInstanceIds,
  sizeViolation,
} from "./instance-moves.ts";
import type { Activity } from "./shapes/activities.ts";

/*
 * EnterStandby and ExitStandby. A standby instance keeps running but leaves its target groups (it is
 * EnteringStandby while its targets drain, then Standby), does not count toward the desired capacity
 * (so without a decrement the reconciler launches a replacement), and is neither health-checked nor
 * replaced. ExitStandby makes it Pending: the reconciler takes it InService and registers it again,
 * exactly as it completes a launch. The desired capacity goes back up by the instances whose entry
 * decremented it (instances.decremented_desired); one that entered without a decrement had a
 * replacement launched, so the group is then one over and scales in by its termination policy, as the
 * user guide describes ("Temporarily remove instances from your Auto Scaling group").
 */

const { instances } = schema;

export function instanceStandbyService(ctx: ServiceContext) {
  return {
    enter(groupName: string, input: { instanceIds?: string[]; shouldDecrementDesiredCapacity?: boolean }) {
      return leaveService(ctx, groupName, input, {
        from: ["InService"],
        notAllowed: (id) => `The instance ${id} is not in InService.`,
        draining: "EnteringStandby",
        done: "Standby",
        verb: "moved to standby",
        attempt: "place into standby",
        description: moveDescriptions.enterStandby,
        reason: "instances entered standby",
      });
    },

    exit(groupName: string, input: { instanceIds?: string[] }) {
      const ids = requireInstanceIds(input.instanceIds);
      return mutate(ctx, (tx, announce): Activity[] => {
        const group = findGroup(tx, groupName);
        const rows = membersOf(tx, group, ids);
        for (const row of rows) {
          check(row.lifecycleState === "Standby", `The instance ${row.id} is not in Standby.`);
        }
        const from = group.desiredCapacity;
        const giveBack = rows.filter((row) => row.decrementedDesired !== false).length;
        const to = from + giveBack;
        if (to > group.maxSize) throw sizeViolation(group, "move out of standby", rows.length);
        const now = ctx.now();
        const at = isoSeconds(now);
        const activities = rows.map((row) => {
          // Pending: the reconciler completes it as it completes a launch (InService, registered).
          tx.update(instances)
            .set({ lifecycleState: "Pending", decrementedDesired: null })
            .where(eq(instances.id, row.id))
            .run();
          const cause =
            row.decrementedDesired !== false
              ? `At ${at} instance ${row.id} was moved out of standby in response to a user request, increasing the capacity from ${from} to ${to}.`
              : `At ${at} instance ${row.id} was moved out of standby in response to a user request.`;
          return openMoveActivity(tx, row, moveDescriptions.exitStandby(row.id), cause, now, "PreInService");
        });
        changeDesiredCapacity(
          tx,
          announce,
          group,
          to,
          () =>
            `At ${at} ${giveBack === 1 ? "an instance was" : `${giveBack} instances were`} moved out of standby in response to a user request, increasing the capacity from ${from} to ${to}.`,
        );
        announce.groups.push({ name: group.name, reason: "instances exited standby" });
        return activities;
      });
    },
  };
}

export type InstanceStandbyService = ReturnType<typeof instanceStandbyService>;
