import type { MetricDimension, Sample } from "@scaleout/core";
import type { FlowRecord } from "./flow-counters.ts";

const namespace = "AWS/NetworkELB";

/** One load balancer's second, summed over its targets, per protocol and in all. */
class LoadBalancerSecond {
  readonly active = { TCP: 0, TLS: 0, UDP: 0 };
  readonly opened = { TCP: 0, TLS: 0, UDP: 0 };
  readonly bytes = { TCP: 0, TLS: 0, UDP: 0 };
  packets = 0;
  clientResets = 0;
  targetResets = 0;
  elbResets = 0;
  clientTlsErrors = 0;
  targetTlsErrors = 0;
}

/**
 * One closed second of flows as AWS/NetworkELB samples at `timestamp` (Unix seconds), by LoadBalancer
 * (`net/{name}/{id}`) as NLB publishes its flow metrics: ActiveFlowCount, NewFlowCount and
 * ProcessedBytes in all and per protocol (_TCP, _TLS, _UDP), ProcessedPackets, the TCP reset counts by
 * sender and the TLS negotiation errors (HealthyHostCount and UnHealthyHostCount: health-host-counts.ts).
 * A count that stayed 0 is left out, as NLB leaves out metrics with no data;
 * ActiveFlowCount is published whenever the load balancer had flows.
 */
export function networkElbSamples(timestamp: number, records: readonly FlowRecord[]): Sample[] {
  const byLb = new Map<string, LoadBalancerSecond>();
  for (const r of records) {
    let s = byLb.get(r[0]);
    if (!s) {
      s = new LoadBalancerSecond();
      byLb.set(r[0], s);
    }
    const protocol = r[3];
    s.active[protocol] += r[4];
    s.opened[protocol] += r[5];
    s.bytes[protocol] += r[7] + r[8];
    s.packets += r[9] + r[10];
    s.clientResets += r[11];
    s.targetResets += r[12];
    s.elbResets += r[13];
    s.clientTlsErrors += r[14];
    s.targetTlsErrors += r[15];
  }
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
  const protocols = ["TCP", "TLS", "UDP"] as const;
  for (const [lb, s] of byLb) {
    const dims = [{ name: "LoadBalancer", value: lb }];
    const total = (by: Record<(typeof protocols)[number], number>) => by.TCP + by.TLS + by.UDP;
    push(dims, "ActiveFlowCount", total(s.active));
    if (total(s.opened)) push(dims, "NewFlowCount", total(s.opened));
    if (total(s.bytes)) push(dims, "ProcessedBytes", total(s.bytes), "Bytes");
    for (const p of protocols) {
      if (s.active[p]) push(dims, `ActiveFlowCount_${p}`, s.active[p]);
      if (s.opened[p]) push(dims, `NewFlowCount_${p}`, s.opened[p]);
      if (s.bytes[p]) push(dims, `ProcessedBytes_${p}`, s.bytes[p], "Bytes");
    }
    if (s.packets) push(dims, "ProcessedPackets", s.packets);
    if (s.clientResets) push(dims, "TCP_Client_Reset_Count", s.clientResets);
    if (s.targetResets) push(dims, "TCP_Target_Reset_Count", s.targetResets);
    if (s.elbResets) push(dims, "TCP_ELB_Reset_Count", s.elbResets);
    if (s.clientTlsErrors) push(dims, "ClientTLSNegotiationErrorCount", s.clientTlsErrors);
    if (s.targetTlsErrors) push(dims, "TargetTLSNegotiationErrorCount", s.targetTlsErrors);
  }
  return samples;
}
