import type { MetricDimension, Sample } from "@scaleout/core";

/** A running statistic set for one second. */
class Stat {
  sampleCount = 0;
  sum = 0;
  minimum = Number.POSITIVE_INFINITY;
  maximum = Number.NEGATIVE_INFINITY;
  add(value: number): void {
    this.sampleCount++;
    this.sum += value;
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
  }
}

interface Counters {
  dimensions: MetricDimension[];
  counts: Map<string, number>;
  stats: Map<string, Stat>;
}

const namespace = "AWS/ApplicationELB";
const units: Record<string, string> = { TargetResponseTime: "Seconds" };

/**
 * Per-second AWS/ApplicationELB metrics. The request path only increments counters; `drain()` turns
 * the second's counters into statistic sets for the metric store, as ALB publishes them: by LoadBalancer,
 * and by TargetGroup and LoadBalancer for target-side metrics.
 */
export class MetricsAggregator {
  private current = new Map<string, Counters>();

  private bucket(key: string, dimensions: MetricDimension[]): Counters {
    let counters = this.current.get(key);
    if (!counters) {
      counters = { dimensions, counts: new Map(), stats: new Map() };
      this.current.set(key, counters);
    }
    return counters;
  }

  count(dimensions: MetricDimension[], key: string, metric: string, by = 1): void {
    const counts = this.bucket(key, dimensions).counts;
    counts.set(metric, (counts.get(metric) ?? 0) + by);
  }

  observe(dimensions: MetricDimension[], key: string, metric: string, value: number): void {
    const stats = this.bucket(key, dimensions).stats;
    let stat = stats.get(metric);
    if (!stat) {
      stat = new Stat();
      stats.set(metric, stat);
    }
    stat.add(value);
  }

  /** One request's outcome. `targetGroup` is absent for fixed responses, redirects and ELB errors before a target was chosen. */
  request(outcome: {
    loadBalancer: string;
    targetGroup?: string;
    elbStatus?: number;
    targetStatus?: number;
    targetResponseSeconds?: number;
    connectionError?: boolean;
  }): void {
    const lbDims = [{ name: "LoadBalancer", value: outcome.loadBalancer }];
    const lbKey = `lb|${outcome.loadBalancer}`;
    this.count(lbDims, lbKey, "RequestCount");
    const tgDims = outcome.targetGroup
      ? [
          { name: "LoadBalancer", value: outcome.loadBalancer },
          { name: "TargetGroup", value: outcome.targetGroup },
        ]
      : undefined;
    const tgKey = `tg|${outcome.loadBalancer}|${outcome.targetGroup}`;
    if (tgDims) this.count(tgDims, tgKey, "RequestCount");
    if (outcome.elbStatus !== undefined) {
      const cls = Math.floor(outcome.elbStatus / 100);
      this.count(lbDims, lbKey, `HTTPCode_ELB_${cls}XX_Count`);
      if ([500, 502, 503, 504].includes(outcome.elbStatus))
        this.count(lbDims, lbKey, `HTTPCode_ELB_${outcome.elbStatus}_Count`);
    }
    if (outcome.targetStatus !== undefined) {
      const metric = `HTTPCode_Target_${Math.floor(outcome.targetStatus / 100)}XX_Count`;
      this.count(lbDims, lbKey, metric);
      if (tgDims) this.count(tgDims, tgKey, metric);
    }
    if (outcome.targetResponseSeconds !== undefined) {
      this.observe(lbDims, lbKey, "TargetResponseTime", outcome.targetResponseSeconds);
      if (tgDims) this.observe(tgDims, tgKey, "TargetResponseTime", outcome.targetResponseSeconds);
    }
    if (outcome.connectionError) {
      this.count(lbDims, lbKey, "TargetConnectionErrorCount");
      if (tgDims) this.count(tgDims, tgKey, "TargetConnectionErrorCount");
    }
  }

  /**
   * Closes the second: the counters as samples at `timestamp` (Unix seconds), plus the gauges the caller
   * gives (host counts) and RequestCountPerTarget (requests over healthy targets, at least one).
   */
  drain(
    timestamp: number,
    groups: Array<{ loadBalancer: string; targetGroup: string; healthy: number; unhealthy: number }>,
  ): Sample[] {
    const samples: Sample[] = [];
    const push = (
      dimensions: MetricDimension[],
      metricName: string,
      value: number,
      unit = units[metricName] ?? "Count",
    ) =>
      samples.push({
        namespace,
        metricName,
        dimensions,
        timestamp,
        unit,
        sampleCount: 1,
        sum: value,
        minimum: value,
        maximum: value,
      });
    for (const counters of this.current.values()) {
      for (const [metric, value] of counters.counts) push(counters.dimensions, metric, value);
      for (const [metric, stat] of counters.stats) {
        samples.push({
          namespace,
          metricName: metric,
          dimensions: counters.dimensions,
          timestamp,
          unit: units[metric] ?? "None",
          sampleCount: stat.sampleCount,
          sum: stat.sum,
          minimum: stat.minimum,
          maximum: stat.maximum,
        });
      }
    }
    for (const group of groups) {
      const dims = [
        { name: "LoadBalancer", value: group.loadBalancer },
        { name: "TargetGroup", value: group.targetGroup },
      ];
      push(dims, "HealthyHostCount", group.healthy);
      push(dims, "UnHealthyHostCount", group.unhealthy);
      const requests =
        this.current.get(`tg|${group.loadBalancer}|${group.targetGroup}`)?.counts.get("RequestCount") ?? 0;
      const perTarget = requests / Math.max(1, group.healthy);
      push(dims, "RequestCountPerTarget", perTarget);
      push([{ name: "TargetGroup", value: group.targetGroup }], "RequestCountPerTarget", perTarget);
    }
    this.current = new Map();
    return samples;
  }
}
