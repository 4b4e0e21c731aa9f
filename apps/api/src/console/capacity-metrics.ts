import type { Services } from "@scaleout/services";
import type { CapacitySample } from "./view-types.ts";

/*
 * The group page's capacity chart from the group's own AWS/AutoScaling metrics, where metrics collection
 * publishes them (EnableMetricsCollection with GroupDesiredCapacity, GroupInServiceInstances and
 * GroupPendingInstances, or all metrics). They are in the registry, so unlike the api's in-memory samples
 * (capacity-history.ts) they outlive an api restart: a page opened after one still sees the event.
 */

const windowSeconds = 900;
const period = 5;
const needed = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances"] as const;

/** The last 15 minutes at 5 s periods (each period's maximum), or undefined when the group does not publish all three. */
export function collectedCapacity(
  services: Services,
  groupName: string,
  enabledMetrics: ReadonlyArray<{ metric: string }>,
  nowMs: number,
): CapacitySample[] | undefined {
  const enabled = new Set(enabledMetrics.map((m) => m.metric));
  if (!needed.every((metric) => enabled.has(metric))) return undefined;
  const end = (Math.floor(nowMs / 1000 / period) + 1) * period;
  const start = end - windowSeconds;
  const [desired, inService, pending] = needed.map(
    (metricName) =>
      new Map(
        services.metrics
          .statistics({
            namespace: "AWS/AutoScaling",
            metricName,
            dimensions: [{ name: "AutoScalingGroupName", value: groupName }],
            startTime: new Date(start * 1000).toISOString(),
            endTime: new Date(end * 1000).toISOString(),
            period,
            statistics: ["Maximum"],
          })
          .datapoints.map((d) => [Math.floor(Date.parse(d.timestamp) / 1000), d.maximum]),
      ),
  );
  const samples: CapacitySample[] = [];
  for (const [t, d] of [...(desired ?? new Map<number, number | undefined>())].sort((a, b) => a[0] - b[0])) {
    const i = inService?.get(t);
    const p = pending?.get(t);
    if (d !== undefined && i !== undefined && p !== undefined) samples.push([t, d, i, p]);
  }
  return samples;
}
