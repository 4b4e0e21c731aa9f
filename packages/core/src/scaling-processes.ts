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

/**
 * SuspendProcesses: the group's suspended processes with `names` added (all processes when `names` is
 * empty or absent, as AWS does), each with AWS's reason. A process already suspended keeps its reason.
 */
export function suspendProcesses(
  current: readonly SuspendedProcess[],
  names: readonly ScalingProcess[] | undefined,
  reason: string,
): SuspendedProcess[] {
  const wanted = names === undefined || names.length === 0 ? scalingProcesses : names;
  const next = [...current];
  for (const name of wanted) {
    if (!next.some((p) => p.processName === name)) next.push({ processName: name, suspensionReason: reason });
  }
  // Code-unit order, as AWS lists them (AZRebalance before AddToLoadBalancer).
  return next.sort((a, b) => (a.processName < b.processName ? -1 : a.processName > b.processName ? 1 : 0));
}

/** ResumeProcesses: `names` resumed (every process when `names` is empty or absent). */
export function resumeProcesses(
  current: readonly SuspendedProcess[],
  names: readonly ScalingProcess[] | undefined,
): SuspendedProcess[] {
  if (names === undefined || names.length === 0) return [];
  return current.filter((p) => !(names as readonly string[]).includes(p.processName));
}

/** The reason DescribeAutoScalingGroups gives for a process a user suspended. */
export const userSuspensionReason = (at: string): string => `User suspended at ${at}`;
