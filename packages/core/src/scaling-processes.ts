import type { SuspendedProcess } from "./types.ts";

/*
 * The scaling processes SuspendProcesses can stop (Auto Scaling user guide: "Suspend and resume Amazon
 * EC2 Auto Scaling processes"). Each suspended process really stops its behaviour: the reconciler, the
 * alarm evaluator, the scheduler and the instance refresh each ask `isSuspended` before they act.
 */

export const scalingProcesses = [
  "Launch",
  "Terminate",
  "AddToLoadBalancer",
  "AlarmNotification",
  "AZRebalance",
  "HealthCheck",
  "InstanceRefresh",
  "ReplaceUnhealthy",
  "ScheduledActions",
] as const;

export type ScalingProcess = (typeof scalingProcesses)[number];

export function isScalingProcess(name: string): name is ScalingProcess {
  return (scalingProcesses as readonly string[]).includes(name);
}

/** Whether `process` is suspended in a group's `suspendedProcesses` column. */
export function isSuspended(
  group: { suspendedProcesses: readonly SuspendedProcess[] },
  process: ScalingProcess,
): boolean {
  return group.suspendedProcesses.some((p) => p.processName === process);
}
