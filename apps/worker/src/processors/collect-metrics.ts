import type { Sample } from "@scaleout/core";
import { pruneDatapoints, recordSamples } from "@scaleout/db";
import { enqueueReconcile } from "@scaleout/queue";
import type { WorkerContext } from "../context.ts";

/*
 * collect-metrics: once a second, every InService instance's CPU as AWS/EC2 CPUUtilization, per
 * instance (InstanceId) and per group (AutoScalingGroupName: the statistic set over the group's
 * instances, so its Average is the mean of the instances and its Maximum the busiest one, as
 * CloudWatch's aggregated EC2 metrics are).
 */

const pruneEveryMs = 60_000;

function cpuSample(dimension: string, value: string, values: number[], timestamp: number): Sample {
  return {
    namespace: "AWS/EC2",
    metricName: "CPUUtilization",
    dimensions: [{ name: dimension, value }],
    timestamp,
    unit: "Percent",
    sampleCount: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    minimum: Math.min(...values),
    maximum: Math.max(...values),
  };
}

export function createMetricsCollector(ctx: WorkerContext) {
  const { registry, driver, db, log, timing } = ctx;
  // The drivers compute CPU from the difference to their previous reading, so an instance's first reading
  // (0 by definition) is no measurement: it only primes the next one.
  const primed = new Set<string>();
  let lastPrune = 0;

  return async function collect(): Promise<{ instances: number; samples: number }> {
    const rows = registry.inService();
    const second = Math.floor(Date.now() / 1000);
    const readings = await Promise.all(
      rows.map(async (row) => ({
        row,
        sample: await driver.sample(row.id).catch((error: unknown) => {
          log.debug("sample failed", { instance: row.id, error });
          return undefined;
        }),
      })),
    );
    const samples: Sample[] = [];
    const byGroup = new Map<string, number[]>();
    const stopped = new Set<string>();
    for (const { row, sample } of readings) {
      if (!sample) {
        // Gone or exited: the group's reconcile replaces it now rather than at the next resync.
        stopped.add(row.groupName);
        primed.delete(row.id);
        continue;
      }
      if (!primed.has(row.id)) {
        primed.add(row.id);
        continue;
      }
      samples.push(cpuSample("InstanceId", row.id, [sample.cpuPercent], second));
      const values = byGroup.get(row.groupName) ?? [];
      values.push(sample.cpuPercent);
      byGroup.set(row.groupName, values);
    }
    for (const [groupName, values] of byGroup) {
      samples.push(cpuSample("AutoScalingGroupName", groupName, values, second));
    }
    recordSamples(db, samples);

    const live = new Set(rows.map((row) => row.id));
    for (const id of primed) if (!live.has(id)) primed.delete(id);
    await Promise.all(
      [...stopped].map((groupName) =>
        enqueueReconcile(ctx.queues, { groupName, reason: "an instance stopped" }).catch((error: unknown) =>
          log.warn("could not enqueue a reconcile", { group: groupName, error }),
        ),
      ),
    );

    if (Date.now() - lastPrune >= pruneEveryMs) {
      lastPrune = Date.now();
      const pruned = pruneDatapoints(db, Math.floor((Date.now() - timing.metricRetentionMs) / 1000));
      if (pruned > 0) log.debug("pruned datapoints", { pruned });
    }
    return { instances: rows.length, samples: samples.length };
  };
}
