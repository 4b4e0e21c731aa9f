import type { Sample } from "@scaleout/core";
import type { DataPlane } from "./data-plane.ts";
import { type NetworkGroupGauge, networkElbSamples } from "./l4/flow-metrics.ts";
import type { MetricsAggregator } from "./metrics.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";

/**
 * Once a second, the last complete second's ALB and NLB metrics and host-count gauges go to the metric
 * store.
 */
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
    const networkGauges: NetworkGroupGauge[] = [];
    for (const runtime of this.plane.groups.values()) {
      let healthy = 0;
      let unhealthy = 0;
      for (const target of runtime.targets.values()) {
        if (target.state === "healthy") healthy++;
        else if (target.state === "unhealthy") unhealthy++;
      }
      for (const lbArn of runtime.config.loadBalancerArns) {
        const lb = snapshot.loadBalancers.get(lbArn);
        if (lb?.type === "network")
          networkGauges.push({
            loadBalancer: lb.dimension,
            targetGroup: runtime.config.dimension,
            healthy,
            unhealthy,
          });
        else if (lb) gauges.push({ loadBalancer: lb, targetGroup: runtime.config, healthy, unhealthy });
      }
    }
    const samples = this.resources.metrics.drain(second, gauges);
    // Network load balancers' flows, in AWS/NetworkELB (each worker's already absorbed by the owner).
    samples.push(...networkElbSamples(second, this.resources.flows.export(), networkGauges));
    this.onSamples(samples);
    this.registry.recordSamples(samples);
  }
}
