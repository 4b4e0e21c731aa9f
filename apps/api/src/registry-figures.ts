import { type GroupMetricName, groupMetricValues } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import type { MetricFamily } from "@scaleout/queue";
import { describeTargetHealth } from "@scaleout/services";

/** Every state DescribeTargetHealth reports: each target has one series per state, 1 for its own. */
const targetStates = [
  "initial",
  "healthy",
  "unhealthy",
  "unhealthy.draining",
  "unused",
  "draining",
  "unavailable",
];
const alarmStates = ["OK", "ALARM", "INSUFFICIENT_DATA"];

/** The group metrics exported, by their AWS/AutoScaling names (the *Capacity twins of *Instances left out). */
const groupFigures: Array<[GroupMetricName, string, string]> = [
  ["GroupDesiredCapacity", "scaleout_autoscaling_group_desired_capacity", "The group's desired capacity"],
  ["GroupMinSize", "scaleout_autoscaling_group_min_size", "The group's minimum size"],
  ["GroupMaxSize", "scaleout_autoscaling_group_max_size", "The group's maximum size"],
  ["GroupInServiceInstances", "scaleout_autoscaling_group_in_service_instances", "Instances InService"],
  ["GroupPendingInstances", "scaleout_autoscaling_group_pending_instances", "Instances pending (launching)"],
  ["GroupStandbyInstances", "scaleout_autoscaling_group_standby_instances", "Instances in Standby"],
  ["GroupTerminatingInstances", "scaleout_autoscaling_group_terminating_instances", "Instances terminating"],
  ["GroupTotalInstances", "scaleout_autoscaling_group_total_instances", "Instances in the group"],
  [
    "WarmPoolWarmedCapacity",
    "scaleout_autoscaling_warm_pool_warmed_instances",
    "Warm pool instances ready to enter the group (groups with a warm pool)",
  ],
  [
    "WarmPoolTotalCapacity",
    "scaleout_autoscaling_warm_pool_total_instances",
    "Warm pool instances, warmed, pending and terminating (groups with a warm pool)",
  ],
];

const gauge = (name: string, help: string, values: MetricFamily["values"]): MetricFamily => ({
  name,
  help,
  type: "gauge",
  // Only the api reads the registry: nothing else reports these, "first" keeps them as they are.
  aggregator: "first",
  values,
});

/**
 * The figures that live in the registry rather than in a process: target health as DescribeTargetHealth
 * reports it, each Auto Scaling group's sizes and instances by lifecycle state (the same counts as its
 * AWS/AutoScaling group metrics), and alarm states. Read from SQLite on each scrape: a few queries, none
 * per target.
 */
export function registryFigures(db: Db, now: number): MetricFamily[] {
  const health: MetricFamily["values"] = [];
  for (const group of db.select().from(schema.targetGroups).all()) {
    const targetGroup = group.arn.slice(group.arn.lastIndexOf(":") + 1);
    for (const description of describeTargetHealth(db, group, now)) {
      const target = `${description.target.id}:${description.target.port}`;
      for (const state of targetStates)
        health.push({
          labels: { target_group: targetGroup, target, state },
          value: description.targetHealth.state === state ? 1 : 0,
        });
    }
  }

  const states = new Map<string, string[]>();
  for (const row of db
    .select({ group: schema.instances.groupName, state: schema.instances.lifecycleState })
    .from(schema.instances)
    .all()) {
    if (row.state === "Terminated" || row.state === "Warmed:Terminated") continue;
    const list = states.get(row.group) ?? [];
    list.push(row.state);
    states.set(row.group, list);
  }
  const pools = new Map(
    db
      .select()
      .from(schema.warmPools)
      .all()
      .map((pool) => [pool.groupName, pool]),
  );
  const byFigure = new Map<GroupMetricName, MetricFamily["values"]>();
  for (const group of db.select().from(schema.autoScalingGroups).all()) {
    const pool = pools.get(group.name);
    const values = groupMetricValues({
      group,
      states: states.get(group.name) ?? [],
      ...(pool && { warmPool: pool }),
    });
    for (const [metric] of groupFigures) {
      const value = values[metric];
      if (value === undefined) continue;
      const list = byFigure.get(metric) ?? [];
      list.push({ labels: { group: group.name }, value });
      byFigure.set(metric, list);
    }
  }

  const alarms: MetricFamily["values"] = [];
  for (const alarm of db
    .select({ name: schema.alarms.name, state: schema.alarms.stateValue })
    .from(schema.alarms)
    .all())
    for (const state of alarmStates)
      alarms.push({ labels: { alarm: alarm.name, state }, value: alarm.state === state ? 1 : 0 });

  return [
    gauge(
      "scaleout_target_health",
      "Target health as DescribeTargetHealth reports it: 1 for the target's state, 0 for the others",
      health,
    ),
    ...groupFigures.map(([metric, name, help]) => gauge(name, help, byFigure.get(metric) ?? [])),
    gauge(
      "scaleout_alarm_state",
      "CloudWatch alarm state: 1 for the alarm's state, 0 for the others",
      alarms,
    ),
  ];
}
