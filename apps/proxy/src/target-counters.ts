/**
 * Upper bounds, in ms, of the target response time histogram's buckets (Prometheus's `le`, in seconds
 * there): ALB's TargetResponseTime from a millisecond to its ten-second range.
 */
export const latencyBoundsMs = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/**
 * One target's responses since its process last reported them, counted on the request path: plain
 * integers in preallocated arrays (no map lookup, no allocation, no prom-client call per request).
 * Prometheus metrics are built from them when a snapshot is taken (prometheus.ts).
 */
export class TargetCounters {
  /** By status class: index 2 is 2xx ... 5 is 5xx. */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly buckets: number[] = new Array<number>(latencyBoundsMs.length + 1).fill(0);
  sumMs = 0;
  /** Something was counted since the last report: idle targets cost a report nothing. */
  dirty = false;

  response(status: number, ms: number): void {
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) (this.byClass[cls] as number)++;
    let i = 0;
    while (i < latencyBoundsMs.length && ms > (latencyBoundsMs[i] as number)) i++;
    (this.buckets[i] as number)++;
    this.sumMs += ms;
    this.dirty = true;
  }

  reset(): void {
    this.byClass.fill(0);
    this.buckets.fill(0);
    this.sumMs = 0;
    this.dirty = false;
  }
}
