import type { Sample } from "@scaleout/core";
import type { DataPlane } from "./data-plane.ts";
import { type HostCounts, networkHostCounts } from "./health-host-counts.ts";
import { networkElbSamples } from "./l4/flow-metrics.ts";
import type { MetricsAggregator } from "./metrics.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";

/** Once a second, the last complete second's ALB metrics and host-count gauges go to the metric store. */
export class MetricsFlush {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly registry: RegistryWriter,
    /** Sees each closed second's samples too (the Prometheus totals are built from them). */
    private readonly onSamples: (samples: readonly Sample[]) => void = () => {},
  ) {}

  flush(): void {
    const snapshot = this.plane.snapshot;
    if (!snapshot) return;
    const second = Math.floor(this.resources.now() / 1000) - 1;
    const gauges: Parameters<MetricsAggregator["drain"]>[1] = [];
    const networkGauges: HostCounts[] = [];
    for (const runtime of this.plane.groups.values()) {
      let healthy = 0;
      let unhealthy = 0;
      for (const target of runtime.targets.values()) {
        if (target.state === "healthy") healthy++;
        else if (target.state === "unhealthy") unhealthy++;
      }
      for (const lbArn of runtime.config.loadBalancerArns) {
        const lb = snapshot.loadBalancers.get(lbArn);
        if (!lb) continue;
        // A network load balancer's groups count in AWS/NetworkELB.
        (lb.type === "network" ? networkGauges : gauges).push({
          loadBalancer: lb,
          targetGroup: runtime.config,
          healthy,
          unhealthy,
        });
      }
    }
    const samples = this.resources.metrics.drain(second, gauges);
    for (const sample of this.resources.waf.drainMetrics(second)) samples.push(sample);
    this.flushWaf(snapshot);
    if (networkGauges.length > 0) samples.push(...networkHostCounts(second, networkGauges));
    // Network load balancers' flows (each worker's counts absorbed by the owner as they arrived).
    samples.push(...networkElbSamples(second, this.resources.flows.export()));
    this.onSamples(samples);
    this.registry.recordSamples(samples);
  }

  /** WAF's sampled requests and managed keys to their sink (Redis), when there is one. */
  private flushWaf(snapshot: NonNullable<DataPlane["snapshot"]>): void {
    const sink = this.resources.options.wafSink;
    // Nowhere to keep them (no Redis): the second's samples are dropped, not hoarded.
    if (!sink) {
      this.resources.waf.discardSamples();
      return;
    }
    const acls = [];
    for (const lb of snapshot.loadBalancers.values()) if (lb.webAcl) acls.push(lb.webAcl);
    sink(this.resources.waf.drainSamples(acls, this.resources.now()));
  }
}
