import {
  Errors,
  isScalingProcess,
  isSuspended,
  resumeProcesses,
  type ScalingProcess,
  scalingProcesses,
  suspendProcesses,
  userSuspensionReason,
} from "@scaleout/core";
import { schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
import type { ProcessType } from "./shapes/instance-moves.ts";

/*
 * SuspendProcesses, ResumeProcesses and DescribeScalingProcessTypes. The list is kept on the group
 * (auto_scaling_groups.suspended_processes); whoever does a process asks core's isSuspended before it
 * acts: the reconciler (Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer), the
 * execute-policy processor (AlarmNotification), the scheduler and the instance refresh.
 */

const { autoScalingGroups, scalingPolicies } = schema;

/** Whether the group's instances going InService are to stay out of its target groups. */
export function addToLoadBalancerSuspended(tx: Tx, groupName: string): boolean {
  const group = tx
    .select({ suspendedProcesses: autoScalingGroups.suspendedProcesses })
    .from(autoScalingGroups)
    .where(eq(autoScalingGroups.name, groupName))
    .get();
  return group !== undefined && isSuspended(group, "AddToLoadBalancer");
}

function checkNames(names: string[] | undefined): ScalingProcess[] | undefined {
  if (names === undefined) return undefined;
  const invalid = names.filter((name) => !isScalingProcess(name));
  if (invalid.length > 0) {
    throw new Errors.ValidationError(
      `Invalid scaling process name(s): ${invalid.join(", ")}. Valid names are: ${[...scalingProcesses].sort().join(", ")}.`,
    );
  }
  return names.filter(isScalingProcess);
}

export function scalingProcessService(ctx: ServiceContext) {
  function change(
    groupName: string,
    reason: string,
    next: (group: typeof autoScalingGroups.$inferSelect) => ReturnType<typeof resumeProcesses>,
  ): void {
    mutate(ctx, (tx, announce) => {
      const group = findGroup(tx, groupName);
      tx.update(autoScalingGroups)
        .set({ suspendedProcesses: next(group) })
        .where(eq(autoScalingGroups.name, group.name))
        .run();
      // A resumed Launch or Terminate has work waiting; a suspension stops what a pass would do next.
      announce.groups.push({ name: group.name, reason });
    });
  }

  return {
    /** SuspendProcesses: the named processes (every one when none is named), "User suspended at <time>". */
    suspend(groupName: string, input: { scalingProcesses?: string[] }): void {
      const names = checkNames(input.scalingProcesses);
      const reason = userSuspensionReason(isoSeconds(ctx.now()));
      change(groupName, "processes suspended", (group) =>
        suspendProcesses(group.suspendedProcesses, names, reason),
      );
    },

    /** ResumeProcesses: the named processes (every one when none is named). */
    resume(groupName: string, input: { scalingProcesses?: string[] }): void {
      const names = checkNames(input.scalingProcesses);
      change(groupName, "processes resumed", (group) => resumeProcesses(group.suspendedProcesses, names));
    },

    /** DescribeScalingProcessTypes, in AWS's order. */
    types(): ProcessType[] {
      return [...scalingProcesses].sort().map((processName) => ({ processName }));
    },

    /**
     * Whether an alarm's invocation of this policy is to be ignored: its group has AlarmNotification
     * suspended. An unknown policy or group answers false (the caller skips those itself).
     */
    alarmNotificationSuspended(policyArn: string): boolean {
      const row = ctx.db
        .select({ suspended: autoScalingGroups.suspendedProcesses })
        .from(scalingPolicies)
        .innerJoin(autoScalingGroups, eq(autoScalingGroups.name, scalingPolicies.groupName))
        .where(eq(scalingPolicies.arn, policyArn))
        .get();
      return row !== undefined && isSuspended({ suspendedProcesses: row.suspended }, "AlarmNotification");
    },
  };
}

export type ScalingProcessService = ReturnType<typeof scalingProcessService>;
