import type { MetricSnapshot } from "@scaleout/queue";
import type { DataPlane } from "./data-plane.ts";

/** One target's responses since the last report: [lb, tg, `id:port`, by status class, buckets, sum ms]. */
export type TargetReport = [
  loadBalancer: string,
  targetGroup: string,
  target: string,
  byClass: number[],
  buckets: number[],
  sumMs: number,
];

/** Requests in flight to one target now: [lb, tg, `id:port`, count]. */
export type InflightEntry = [loadBalancer: string, targetGroup: string, target: string, count: number];

/**
 * What a serving process (a proxy worker, or the single proxy) reports for Prometheus each second:
 * target responses as deltas (the owner adds them up, so a worker that restarts loses at most a
 * second), and gauges as they are now; its process figures every few reports.
 */
export interface ServingFigures {
  targets: TargetReport[];
  inflight: InflightEntry[];
  /** Open client connections per load balancer dimension. */
  connections: Array<[loadBalancer: string, count: number]>;
  process?: MetricSnapshot;
}

/** The load balancer a target group's figures are labelled with: its first (ALB allows one). */
function loadBalancerOf(plane: DataPlane, arns: ReadonlySet<string>): string {
  for (const arn of arns) {
    const lb = plane.snapshot?.loadBalancers.get(arn);
    if (lb) return lb.dimension;
  }
  return "";
}

/**
 * Takes every target's counters since the last call (and zeroes them) and the in-flight counts: the
 * per-second walk over targets that replaces any per-request work on Prometheus's behalf.
 */
export function takeTargetFigures(plane: DataPlane): Pick<ServingFigures, "targets" | "inflight"> {
  const targets: TargetReport[] = [];
  const inflight: InflightEntry[] = [];
  for (const runtime of plane.groups.values()) {
    const lb = loadBalancerOf(plane, runtime.config.loadBalancerArns);
    const tg = runtime.config.dimension;
    for (const target of runtime.targets.values()) {
      const c = target.counters;
      if (c.dirty) {
        targets.push([lb, tg, target.key, [...c.byClass], [...c.buckets], c.sumMs]);
        c.reset();
      }
      if (target.outstanding > 0) inflight.push([lb, tg, target.key, target.outstanding]);
    }
  }
  return { targets, inflight };
}
