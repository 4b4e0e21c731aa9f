import type { Sample } from "@scaleout/core";
import { pruneDatapoints, recordSamples } from "@scaleout/db";
import { enqueueReconcile } from "@scaleout/queue";
import { groupMetricSamples } from "@scaleout/services";
import type { WorkerContext } from "../context.ts";

/*
 * collect-metrics: once a second, every InService instance's CPU as AWS/EC2 CPUUtilization, per
 * instance (InstanceId) and per group (AutoScalingGroupName: the statistic set over the group's
 * instances, so its Average is the mean of the instances and its Maximum the busiest one, as
 * CloudWatch's aggregated EC2 metrics are).
 *
 * A reading is the CPU used since the instance's previous reading, so it is stamped with the second that
 * holds the middle of that interval: the job runs just after each second ends (WorkerTiming), and the
 * reading it takes is the second that just ended, not the one that just began. Stamped with the second
 * it was taken in, every datapoint would describe the second before it, and alarms would act a second
 * late.
 *
 * Groups with EnableMetricsCollection also get their AWS/AutoScaling group metrics (GroupDesiredCapacity,
 * GroupInServiceInstances, ...), counted from the registry as it stands and stamped with the second that
 * just ended, like the CPU readings.
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
  // (0 by definition) is no measurement: it only primes the next one. By instance: when the previous
  // reading was taken (Unix ms).
  const previousAt = new Map<string, number>();
  let lastPrune = 0;

  return async function collect(): Promise<{ instances: number; samples: number }> {
    const rows = registry.inService();
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
    // By group and second: readings of one collection normally share their second.
    const byGroup = new Map<string, { groupName: string; second: number; values: number[] }>();
    const stopped = new Set<string>();
    for (const { row, sample } of readings) {
      if (!sample) {
        // Gone or exited: the group's reconcile replaces it now rather than at the next resync.
        stopped.add(row.groupName);
        previousAt.delete(row.id);
        continue;
      }
      const since = previousAt.get(row.id);
      previousAt.set(row.id, sample.at);
      if (since === undefined || sample.at <= since) continue;
      const second = Math.floor((since + sample.at) / 2000);
      samples.push(cpuSample("InstanceId", row.id, [sample.cpuPercent], second));
      const key = `${row.groupName}\u0000${second}`;
      const entry = byGroup.get(key) ?? { groupName: row.groupName, second, values: [] };
      entry.values.push(sample.cpuPercent);
      byGroup.set(key, entry);
    }
    for (const { groupName, second, values } of byGroup.values()) {
      samples.push(cpuSample("AutoScalingGroupName", groupName, values, second));
    }
    samples.push(...groupMetricSamples(db, Math.floor(ctx.services.ctx.now() / 1000) - 1));
    recordSamples(db, samples);

    const live = new Set(rows.map((row) => row.id));
    for (const id of previousAt.keys()) if (!live.has(id)) previousAt.delete(id);
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
