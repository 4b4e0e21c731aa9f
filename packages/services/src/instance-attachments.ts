import { Errors } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq, inArray } from "drizzle-orm";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity } from "./group-capacity.ts";
import { findGroup } from "./group-view.ts";
import { leaveService } from "./instance-leaving.ts";
import { moveDescriptions, openMoveActivity, sizeViolation } from "./instance-moves.ts";

/*
 * DetachInstances and AttachInstances. A detached instance keeps running outside any group: Detaching
 * while its targets drain, then Detached; its row stays (with the name of the group it left, which is
 * also what its runtime label says) so that no reconciler takes it for an orphan, EC2's
 * DescribeInstances still finds it, and AttachInstances can bring it into a group again. An attached
 * instance is Pending until the reconciler takes it InService and registers it, as after a launch.
 */

const { instances } = schema;

export function instanceAttachmentService(ctx: ServiceContext) {
  return {
    detach(groupName: string, input: { instanceIds?: string[]; shouldDecrementDesiredCapacity?: boolean }) {
      return leaveService(ctx, groupName, input, {
        from: ["InService", "Standby"],
        notAllowed: (id) => `The instance ${id} is not in InService or Standby.`,
        draining: "Detaching",
        done: "Detached",
        verb: "detached",
        attempt: "detach",
        description: moveDescriptions.detach,
        reason: "instances detached",
      });
    },

    /**
     * AttachInstances: running instances that belong to no group (detached ones) join this one. The
     * desired capacity grows by their number and must stay within the maximum, as AWS requires.
     */
    attach(groupName: string, input: { instanceIds?: string[] }): void {
      const ids = [...new Set(input.instanceIds ?? [])];
      if (ids.length === 0) return;
      mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        if (group.status !== null) {
          throw new Errors.ValidationError(`AutoScalingGroup ${group.name} is pending delete.`);
        }
        const rows = tx.select().from(instances).where(inArray(instances.id, ids)).all();
        const missing = ids.filter(
          (id) => !rows.some((r) => r.id === id && r.lifecycleState !== "Terminated"),
        );
        if (missing.length > 0) {
          throw new Errors.ValidationError(`Instance ID(s) not found or not running: ${missing.join(", ")}`);
        }
        for (const row of rows) {
          if (row.lifecycleState === "Detached") continue;
          if (row.lifecycleState === "Detaching") {
            throw new Errors.ValidationError(`The instance ${row.id} is not in correct state.`);
          }
          throw new Errors.ValidationError(
            `The instance ${row.id} is already part of the Auto Scaling group ${row.groupName}.`,
          );
        }
        const from = group.desiredCapacity;
        const to = from + rows.length;
        if (to > group.maxSize) throw sizeViolation(group, "attach", rows.length);
        const now = ctx.now();
        const at = isoSeconds(now);
        for (const row of rows) {
          tx.update(instances)
            .set({
              groupName: group.name,
              lifecycleState: "Pending",
              healthStatus: "Healthy",
              protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
              decrementedDesired: null,
              inServiceAt: null,
            })
            .where(eq(instances.id, row.id))
            .run();
          openMoveActivity(
            tx,
            { ...row, groupName: group.name },
            moveDescriptions.attach(row.id),
            `At ${at} an existing instance ${row.id} was attached in response to a user request, increasing the capacity from ${from} to ${to}.`,
            now,
            "PreInService",
          );
        }
        changeDesiredCapacity(
          tx,
          announce,
          group,
          to,
          () =>
            `At ${at} ${rows.length === 1 ? "an instance was" : `${rows.length} instances were`} attached in response to a user request, increasing the capacity from ${from} to ${to}.`,
        );
        announce.groups.push({ name: group.name, reason: "instances attached" });
      });
    },
  };
}

export type InstanceAttachmentService = ReturnType<typeof instanceAttachmentService>;
