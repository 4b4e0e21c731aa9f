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

/** One second of counters for one dimension set. Plain fields: the request path only increments. */
class Counters {
  requests = 0;
  elbByClass = [0, 0, 0, 0, 0, 0];
  elb500 = 0;
  elb502 = 0;
  elb503 = 0;
  elb504 = 0;
  targetByClass = [0, 0, 0, 0, 0, 0];
  connectionErrors = 0;
  /** Load balancer only: client connections accepted, and TLS handshakes that failed. */
  newConnections = 0;
  tlsNegotiationErrors = 0;
  responseTime = new Stat();

  constructor(readonly dimensions: MetricDimension[]) {}
}

/** What the aggregator needs of a load balancer or target group: its metric dimension value. */
export interface Dimensioned {
  dimension: string;
}

const namespace = "AWS/ApplicationELB";

/**
 * One dimension set's counters as plain data: what a proxy worker sends its owner each second, so the
 * owner adds every worker's counts into one set of samples. The response-time statistic is present only
 * when it has samples (its infinite minimum and maximum do not survive JSON).
 */
export interface CounterRecord {
  dimensions: MetricDimension[];
  requests: number;
  elbByClass: number[];
  elb: [number, number, number, number];
  targetByClass: number[];
  connectionErrors: number;
  newConnections: number;
  tlsNegotiationErrors: number;
  responseTime?: [sampleCount: number, sum: number, minimum: number, maximum: number];
}

const addInto = (into: number[], from: readonly number[]) => {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
};

/**
 * Per-second AWS/ApplicationELB metrics, as ALB publishes them: by LoadBalancer, and by TargetGroup and
 * LoadBalancer for target-side metrics. Counters are keyed by the configuration objects themselves, so
 * counting a request allocates nothing; `drain()` turns a second into statistic sets for the store.
 */
export class MetricsAggregator {
  private byLoadBalancer = new Map<string, Counters>();
  private byTargetGroup = new Map<string, Map<string, Counters>>();
  /**
   * The counters the last request used, by the objects it named: consecutive requests almost always name
   * the same load balancer and group, so they skip the map lookups. Forgotten when a second closes.
   */
  private lastLb: Dimensioned | undefined;
  private lastLbCounters: Counters | undefined;
  private lastTg: Dimensioned | undefined;
  private lastTgLb: Dimensioned | undefined;
  private lastTgCounters: Counters | undefined;

  private lbCounters(lb: Dimensioned): Counters {
    if (lb === this.lastLb && this.lastLbCounters) return this.lastLbCounters;
    const counters = this.lbCountersOf(lb);
    this.lastLb = lb;
    this.lastLbCounters = counters;
    return counters;
  }

  private tgCounters(lb: Dimensioned, tg: Dimensioned): Counters {
    if (tg === this.lastTg && lb === this.lastTgLb && this.lastTgCounters) return this.lastTgCounters;
    const counters = this.tgCountersOf(lb, tg);
    this.lastTg = tg;
    this.lastTgLb = lb;
    this.lastTgCounters = counters;
    return counters;
  }

  /** A new second: the maps start afresh and the last-used counters are no longer theirs. */
  private reset(): void {
    this.byLoadBalancer = new Map();
    this.byTargetGroup = new Map();
    this.lastLb = undefined;
    this.lastLbCounters = undefined;
    this.lastTg = undefined;
    this.lastTgLb = undefined;
    this.lastTgCounters = undefined;
  }

  private lbCountersOf(lb: Dimensioned): Counters {
    let counters = this.byLoadBalancer.get(lb.dimension);
    if (!counters) {
      counters = new Counters([{ name: "LoadBalancer", value: lb.dimension }]);
      this.byLoadBalancer.set(lb.dimension, counters);
    }
    return counters;
  }

  private tgCountersOf(lb: Dimensioned, tg: Dimensioned): Counters {
    let byLb = this.byTargetGroup.get(tg.dimension);
    if (!byLb) {
      byLb = new Map();
      this.byTargetGroup.set(tg.dimension, byLb);
    }
    let counters = byLb.get(lb.dimension);
    if (!counters) {
      counters = new Counters([
        { name: "LoadBalancer", value: lb.dimension },
        { name: "TargetGroup", value: tg.dimension },
      ]);
      byLb.set(lb.dimension, counters);
    }
    return counters;
  }

  /** One request's outcome. `targetGroup` is absent for fixed responses, redirects and errors before a group was chosen. */
  request(
    lb: Dimensioned,
    targetGroup: Dimensioned | undefined,
    elbStatus: number | undefined,
    targetStatus: number | undefined,
    targetResponseSeconds: number | undefined,
    connectionError: boolean,
  ): void {
    const l = this.lbCounters(lb);
    const t = targetGroup ? this.tgCounters(lb, targetGroup) : undefined;
    l.requests++;
    if (t) t.requests++;
    if (elbStatus !== undefined) {
      const cls = Math.floor(elbStatus / 100);
      if (cls >= 1 && cls <= 5) (l.elbByClass[cls] as number)++;
      if (elbStatus === 500) l.elb500++;
      else if (elbStatus === 502) l.elb502++;
      else if (elbStatus === 503) l.elb503++;
      else if (elbStatus === 504) l.elb504++;
    }
    if (targetStatus !== undefined) {
      const cls = Math.floor(targetStatus / 100);
      if (cls >= 1 && cls <= 5) {
        (l.targetByClass[cls] as number)++;
        if (t) (t.targetByClass[cls] as number)++;
      }
    }
    if (targetResponseSeconds !== undefined) {
      l.responseTime.add(targetResponseSeconds);
      t?.responseTime.add(targetResponseSeconds);
    }
    if (connectionError) {
      l.connectionErrors++;
      if (t) t.connectionErrors++;
    }
  }

  /** A connection the load balancer could not make to a target (counted even when a retry then succeeds). */
  connectionError(lb: Dimensioned, targetGroup: Dimensioned): void {
    this.lbCounters(lb).connectionErrors++;
    this.tgCounters(lb, targetGroup).connectionErrors++;
  }

  /** A client connection accepted by one of the load balancer's listeners (NewConnectionCount). */
  connection(lb: Dimensioned): void {
    this.lbCounters(lb).newConnections++;
  }

  /** A client whose TLS handshake failed (ClientTLSNegotiationErrorCount). */
  tlsNegotiationError(lb: Dimensioned): void {
    this.lbCounters(lb).tlsNegotiationErrors++;
  }

  /** Hands over the counters gathered since the last call (a worker's second) and starts afresh. */
  export(): CounterRecord[] {
    const records: CounterRecord[] = [];
    const record = (c: Counters) => {
      const rt = c.responseTime;
      records.push({
        dimensions: c.dimensions,
        requests: c.requests,
        elbByClass: c.elbByClass,
        elb: [c.elb500, c.elb502, c.elb503, c.elb504],
        targetByClass: c.targetByClass,
        connectionErrors: c.connectionErrors,
        newConnections: c.newConnections,
        tlsNegotiationErrors: c.tlsNegotiationErrors,
        ...(rt.sampleCount > 0 && { responseTime: [rt.sampleCount, rt.sum, rt.minimum, rt.maximum] }),
      });
    };
    for (const counters of this.byLoadBalancer.values()) record(counters);
    for (const byLb of this.byTargetGroup.values()) for (const counters of byLb.values()) record(counters);
    this.reset();
    return records;
  }

  /** Adds another process's counters (`export()`) to this second's. */
  absorb(records: readonly CounterRecord[]): void {
    for (const record of records) {
      const [lb, tg] = record.dimensions;
      if (!lb) continue;
      const c = tg
        ? this.tgCountersOf({ dimension: lb.value }, { dimension: tg.value })
        : this.lbCountersOf({ dimension: lb.value });
      c.requests += record.requests;
      addInto(c.elbByClass, record.elbByClass);
      c.elb500 += record.elb[0];
      c.elb502 += record.elb[1];
      c.elb503 += record.elb[2];
      c.elb504 += record.elb[3];
      addInto(c.targetByClass, record.targetByClass);
      c.connectionErrors += record.connectionErrors;
      c.newConnections += record.newConnections;
      c.tlsNegotiationErrors += record.tlsNegotiationErrors;
      const rt = record.responseTime;
      if (rt) {
        const stat = c.responseTime;
        stat.sampleCount += rt[0];
        stat.sum += rt[1];
        if (rt[2] < stat.minimum) stat.minimum = rt[2];
        if (rt[3] > stat.maximum) stat.maximum = rt[3];
      }
    }
  }

  /**
   * Closes the second: the counters as samples at `timestamp` (Unix seconds), plus the gauges the caller
   * gives (host counts) and RequestCountPerTarget (requests over healthy targets, at least one). Counts
   * that stayed 0 are not published, as ALB publishes them only when there is traffic.
   */
  drain(
    timestamp: number,
    groups: Array<{
      loadBalancer: Dimensioned;
      targetGroup: Dimensioned;
      healthy: number;
      unhealthy: number;
    }>,
  ): Sample[] {
    const samples: Sample[] = [];
    const push = (dimensions: MetricDimension[], metricName: string, value: number, unit = "Count") =>
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
    const pushCounters = (c: Counters, side: "lb" | "tg") => {
      if (c.requests) push(c.dimensions, "RequestCount", c.requests);
      for (let cls = 2; cls <= 5; cls++) {
        if (c.targetByClass[cls])
          push(c.dimensions, `HTTPCode_Target_${cls}XX_Count`, c.targetByClass[cls] as number);
        if (side === "lb" && c.elbByClass[cls])
          push(c.dimensions, `HTTPCode_ELB_${cls}XX_Count`, c.elbByClass[cls] as number);
      }
      if (side === "lb") {
        if (c.elb500) push(c.dimensions, "HTTPCode_ELB_500_Count", c.elb500);
        if (c.elb502) push(c.dimensions, "HTTPCode_ELB_502_Count", c.elb502);
        if (c.elb503) push(c.dimensions, "HTTPCode_ELB_503_Count", c.elb503);
        if (c.elb504) push(c.dimensions, "HTTPCode_ELB_504_Count", c.elb504);
      }
      if (c.connectionErrors) push(c.dimensions, "TargetConnectionErrorCount", c.connectionErrors);
      if (c.newConnections) push(c.dimensions, "NewConnectionCount", c.newConnections);
      if (c.tlsNegotiationErrors)
        push(c.dimensions, "ClientTLSNegotiationErrorCount", c.tlsNegotiationErrors);
      const rt = c.responseTime;
      if (rt.sampleCount) {
        samples.push({
          namespace,
          metricName: "TargetResponseTime",
          dimensions: c.dimensions,
          timestamp,
          unit: "Seconds",
          sampleCount: rt.sampleCount,
          sum: rt.sum,
          minimum: rt.minimum,
          maximum: rt.maximum,
        });
      }
    };
    for (const counters of this.byLoadBalancer.values()) pushCounters(counters, "lb");
    for (const byLb of this.byTargetGroup.values())
      for (const counters of byLb.values()) pushCounters(counters, "tg");
    for (const group of groups) {
      const dims = [
        { name: "LoadBalancer", value: group.loadBalancer.dimension },
        { name: "TargetGroup", value: group.targetGroup.dimension },
      ];
      push(dims, "HealthyHostCount", group.healthy);
      push(dims, "UnHealthyHostCount", group.unhealthy);
      const requests =
        this.byTargetGroup.get(group.targetGroup.dimension)?.get(group.loadBalancer.dimension)?.requests ?? 0;
      const perTarget = requests / Math.max(1, group.healthy);
      push(dims, "RequestCountPerTarget", perTarget);
      push([{ name: "TargetGroup", value: group.targetGroup.dimension }], "RequestCountPerTarget", perTarget);
    }
    this.reset();
    return samples;
  }
}
