import { check } from "./errors.ts";
import type { LifecycleState } from "./types.ts";
import { warmPoolTargetSize } from "./warm-pool.ts";

/*
 * EnableMetricsCollection's group metrics (namespace AWS/AutoScaling, dimension AutoScalingGroupName),
 * counted from a group's instances by lifecycle state as the Auto Scaling user guide defines them
 * ("Amazon CloudWatch metrics for Amazon EC2 Auto Scaling"). Every instance weighs one capacity unit, so
 * each *Capacity metric equals its *Instances metric.
 */

export const groupMetricNames = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupInServiceCapacity",
  "GroupPendingInstances",
  "GroupPendingCapacity",
  "GroupStandbyInstances",
  "GroupStandbyCapacity",
  "GroupTerminatingInstances",
  "GroupTerminatingCapacity",
  "GroupTotalInstances",
  "GroupTotalCapacity",
  "WarmPoolDesiredCapacity",
  "WarmPoolWarmedCapacity",
  "WarmPoolPendingCapacity",
  "WarmPoolTerminatingCapacity",
  "WarmPoolTotalCapacity",
  "GroupAndWarmPoolDesiredCapacity",
  "GroupAndWarmPoolTotalCapacity",
  "WarmPoolMinSize",
] as const;
export type GroupMetricName = (typeof groupMetricNames)[number];

/** The one granularity AWS offers. */
export const metricGranularities = ["1Minute"] as const;

const warmPoolMetrics = new Set<GroupMetricName>([
  "WarmPoolDesiredCapacity",
  "WarmPoolWarmedCapacity",
  "WarmPoolPendingCapacity",
  "WarmPoolTerminatingCapacity",
  "WarmPoolTotalCapacity",
  "GroupAndWarmPoolDesiredCapacity",
  "GroupAndWarmPoolTotalCapacity",
  "WarmPoolMinSize",
]);

/** Whether a metric is one of the warm pool's (published only for a group that has a warm pool). */
export const isWarmPoolMetric = (name: GroupMetricName): boolean => warmPoolMetrics.has(name);

/** EnableMetricsCollection's / DisableMetricsCollection's list: the metrics named, or all when none is. */
export function checkGroupMetrics(metrics: readonly string[] | undefined): GroupMetricName[] {
  if (metrics === undefined || metrics.length === 0) return [...groupMetricNames];
  const known = groupMetricNames as readonly string[];
  const unknown = metrics.filter((m) => !known.includes(m));
  check(
    unknown.length === 0,
    `Invalid metrics: ${unknown.join(", ")}. Valid metrics are ${groupMetricNames.join(", ")}`,
  );
  return groupMetricNames.filter((m) => metrics.includes(m));
}

export function checkGranularity(granularity: string | undefined): string {
  check(granularity !== undefined, "Granularity is required: the only valid value is 1Minute");
  check(
    (metricGranularities as readonly string[]).includes(granularity),
    `Invalid granularity '${granularity}': the only valid value is 1Minute`,
  );
  return granularity;
}

export interface GroupMetricInput {
  group: { minSize: number; maxSize: number; desiredCapacity: number };
  /** Lifecycle states of the group's instances (warm pool ones too), terminated ones left out. */
  states: readonly string[];
  /** The group's warm pool, if it has one: MaxGroupPreparedCapacity null means the group's MaxSize. */
  warmPool?: { minSize: number; maxGroupPreparedCapacity: number | null };
}

const pending = new Set<string>(["Pending", "Pending:Wait", "Pending:Proceed"] satisfies LifecycleState[]);
const terminating = new Set<string>([
  "Terminating",
  "Terminating:Wait",
  "Terminating:Proceed",
] satisfies LifecycleState[]);
const standby = new Set<string>(["Standby", "EnteringStandby"] satisfies LifecycleState[]);
const warmPending = new Set<string>([
  "Warmed:Pending",
  "Warmed:Pending:Wait",
  "Warmed:Pending:Proceed",
] satisfies LifecycleState[]);
const warmTerminating = new Set<string>([
  "Warmed:Terminating",
  "Warmed:Terminating:Wait",
  "Warmed:Terminating:Proceed",
] satisfies LifecycleState[]);
const warmed = new Set<string>([
  "Warmed:Stopped",
  "Warmed:Running",
  "Warmed:Hibernated",
] satisfies LifecycleState[]);

/** Every group metric's value now. Warm pool metrics are absent for a group without a warm pool. */
export function groupMetricValues(input: GroupMetricInput): Partial<Record<GroupMetricName, number>> {
  const count = (set: Set<string>) => input.states.filter((s) => set.has(s)).length;
  const inService = input.states.filter((s) => s === "InService").length;
  const pendingCount = count(pending);
  const terminatingCount = count(terminating);
  const standbyCount = count(standby);
  // "The number of instances that are in service, pending, and terminating" (the user guide).
  const total = inService + pendingCount + terminatingCount;
  const { group } = input;
  const values: Partial<Record<GroupMetricName, number>> = {
    GroupMinSize: group.minSize,
    GroupMaxSize: group.maxSize,
    GroupDesiredCapacity: group.desiredCapacity,
    GroupInServiceInstances: inService,
    GroupInServiceCapacity: inService,
    GroupPendingInstances: pendingCount,
    GroupPendingCapacity: pendingCount,
    GroupStandbyInstances: standbyCount,
    GroupStandbyCapacity: standbyCount,
    GroupTerminatingInstances: terminatingCount,
    GroupTerminatingCapacity: terminatingCount,
    GroupTotalInstances: total,
    GroupTotalCapacity: total,
  };
  const pool = input.warmPool;
  if (pool) {
    const warmPendingCount = count(warmPending);
    const warmTerminatingCount = count(warmTerminating);
    const warmedCount = count(warmed);
    const warmTotal = warmPendingCount + warmTerminatingCount + warmedCount;
    // The size the worker keeps the pool at (warm-pool.ts).
    const warmDesired = warmPoolTargetSize(pool, group);
    Object.assign(values, {
      WarmPoolMinSize: pool.minSize,
      WarmPoolDesiredCapacity: warmDesired,
      WarmPoolPendingCapacity: warmPendingCount,
      WarmPoolTerminatingCapacity: warmTerminatingCount,
      WarmPoolWarmedCapacity: warmedCount,
      WarmPoolTotalCapacity: warmTotal,
      GroupAndWarmPoolDesiredCapacity: group.desiredCapacity + warmDesired,
      GroupAndWarmPoolTotalCapacity: total + warmTotal,
    });
  }
  return values;
}
