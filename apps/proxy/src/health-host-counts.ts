import type { Sample } from "@scaleout/core";
import type { Dimensioned } from "./metrics.ts";

export interface HostCounts {
  loadBalancer: Dimensioned;
  targetGroup: Dimensioned;
  healthy: number;
  unhealthy: number;
}

/**
 * A network load balancer's target groups' HealthyHostCount and UnHealthyHostCount, as NLB publishes them:
 * in AWS/NetworkELB by LoadBalancer and TargetGroup (`net/...` and `targetgroup/...`), one gauge a second,
 * beside ALB's in AWS/ApplicationELB. NLB has no RequestCountPerTarget.
 */
export function networkHostCounts(timestamp: number, groups: readonly HostCounts[]): Sample[] {
  const samples: Sample[] = [];
  for (const group of groups) {
    const dimensions = [
      { name: "LoadBalancer", value: group.loadBalancer.dimension },
      { name: "TargetGroup", value: group.targetGroup.dimension },
    ];
    for (const [metricName, value] of [
      ["HealthyHostCount", group.healthy],
      ["UnHealthyHostCount", group.unhealthy],
    ] as const) {
      samples.push({
        namespace: "AWS/NetworkELB",
        metricName,
        dimensions,
        timestamp,
        unit: "Count",
        sampleCount: 1,
        sum: value,
        minimum: value,
        maximum: value,
      });
    }
  }
  return samples;
}
