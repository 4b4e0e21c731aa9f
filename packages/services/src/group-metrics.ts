import {
  checkGranularity,
  checkGroupMetrics,
  type EnabledMetric,
  type GroupMetricName,
  groupMetricNames,
  groupMetricValues,
  metricGranularities,
  type Sample,
  terminationPolicies,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { findGroup, groupView } from "./group-view.ts";
import type { AutoScalingGroup } from "./shapes/groups.ts";

/*
 * Group metrics (EnableMetricsCollection / DisableMetricsCollection) and the small describes of Auto
 * Scaling's fixed vocabularies. The worker's collect-metrics publishes the enabled metrics of every
 * group each second (`groupMetricSamples`), so GetMetricStatistics, ListMetrics and alarms see them.
 */

const { autoScalingGroups, instances, warmPools } = schema;
type GroupRow = typeof autoScalingGroups.$inferSelect;

const adjustmentTypes = ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"] as const;

function setEnabled(tx: Tx, group: GroupRow, enabled: EnabledMetric[]): void {
  const order = groupMetricNames as readonly string[];
  enabled.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
  tx.update(autoScalingGroups)
    .set({ enabledMetrics: enabled })
    .where(eq(autoScalingGroups.name, group.name))
    .run();
}

/**
 * The enabled metrics' datapoints of every group that has any, stamped with the second `second` (Unix
 * seconds): one statistic set of one value each, as a gauge sampled once.
 */
export function groupMetricSamples(db: Db, second: number): Sample[] {
  const groups = db
    .select()
    .from(autoScalingGroups)
    .where(ne(autoScalingGroups.enabledMetrics, sql`'[]'`))
    .all()
    .filter((g) => g.enabledMetrics.length > 0);
  if (groups.length === 0) return [];
  const names = groups.map((g) => g.name);
  const states = new Map<string, string[]>();
  for (const row of db
    .select({ groupName: instances.groupName, state: instances.lifecycleState })
    .from(instances)
    .where(
      and(
        inArray(instances.groupName, names),
        ne(instances.lifecycleState, "Terminated"),
        ne(instances.lifecycleState, "Warmed:Terminated"),
      ),
    )
    .all()) {
    const list = states.get(row.groupName) ?? [];
    list.push(row.state);
    states.set(row.groupName, list);
  }
  const pools = new Map(
    db
      .select()
      .from(warmPools)
      .where(inArray(warmPools.groupName, names))
      .all()
      .map((p) => [p.groupName, p]),
  );
  const samples: Sample[] = [];
  for (const group of groups) {
    const pool = pools.get(group.name);
    const values = groupMetricValues({
      group,
      states: states.get(group.name) ?? [],
      ...(pool && { warmPool: pool }),
    });
    for (const { metric } of group.enabledMetrics) {
      const value = values[metric as GroupMetricName];
      if (value === undefined) continue;
      samples.push({
        namespace: "AWS/AutoScaling",
        metricName: metric,
        dimensions: [{ name: "AutoScalingGroupName", value: group.name }],
        timestamp: second,
        unit: "None",
        sampleCount: 1,
        sum: value,
        minimum: value,
        maximum: value,
      });
    }
  }
  return samples;
}

export function groupMetricService(ctx: ServiceContext) {
  const view = (db: Db | Tx, row: GroupRow) => groupView(db, row, ctx.partition.region);
  return {
    /** EnableMetricsCollection: the metrics named (all when none is), at the one granularity, 1Minute. */
    enable(groupName: string, input: { metrics?: string[]; granularity?: string }): AutoScalingGroup {
      const metrics = checkGroupMetrics(input.metrics);
      const granularity = checkGranularity(input.granularity);
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const enabled = group.enabledMetrics.filter((m) => !(metrics as string[]).includes(m.metric));
        for (const metric of metrics) enabled.push({ metric, granularity });
        setEnabled(tx, group, enabled);
        return view(tx, findGroup(tx, group.name));
      });
    },

    /** DisableMetricsCollection: the metrics named, or all when none is. */
    disable(groupName: string, input: { metrics?: string[] } = {}): AutoScalingGroup {
      const metrics = checkGroupMetrics(input.metrics) as string[];
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        setEnabled(
          tx,
          group,
          group.enabledMetrics.filter((m) => !metrics.includes(m.metric)),
        );
        return view(tx, findGroup(tx, group.name));
      });
    },

    /** DescribeMetricCollectionTypes. */
    collectionTypes(): { metrics: Array<{ metric: string }>; granularities: Array<{ granularity: string }> } {
      return {
        metrics: groupMetricNames.map((metric) => ({ metric })),
        granularities: metricGranularities.map((granularity) => ({ granularity })),
      };
    },

    /** DescribeAdjustmentTypes. */
    adjustmentTypes(): Array<{ adjustmentType: string }> {
      return adjustmentTypes.map((adjustmentType) => ({ adjustmentType }));
    },

    /** DescribeTerminationPolicyTypes: AWS's list, in its alphabetical order. */
    terminationPolicyTypes(): string[] {
      return [...terminationPolicies].sort();
    },
  };
}

export type GroupMetricService = ReturnType<typeof groupMetricService>;
