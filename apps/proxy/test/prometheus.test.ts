// The proxy's Prometheus totals without sockets: the per-second samples it already builds become running
// counters, serving processes' target reports add up (and survive a worker's exit), the histogram is
// cumulative with Prometheus's `le`, and deleted load balancers and targets stop being exported.

import { connect } from "node:net";
import { eventually } from "@scaleout/testing";
import { AggregatorRegistry } from "prom-client";
import { describe, expect, test } from "vitest";
import { MetricsAggregator } from "../src/metrics.ts";
import { ProxyPrometheus } from "../src/prometheus.ts";
import { TargetCounters } from "../src/target-counters.ts";
import { loopback, proxyTest, send } from "./helpers.ts";

const lb = { dimension: "app/web/50dc6c495c0c9188" };
const tg = { dimension: "targetgroup/web-tg/73e2d6bc24d8a067" };

async function text(prometheus: ProxyPrometheus): Promise<string> {
  return AggregatorRegistry.aggregate([await prometheus.snapshot()]).metrics();
}

describe("ProxyPrometheus", () => {
  test("load balancer and target group counters run on from each second's samples", async () => {
    const metrics = new MetricsAggregator();
    const prometheus = new ProxyPrometheus();
    metrics.request(lb, tg, undefined, 200, 0.01, false);
    metrics.request(lb, tg, undefined, 503, 0.02, false);
    metrics.request(lb, undefined, 503, undefined, undefined, false);
    prometheus.absorbSamples(metrics.drain(1, []));
    metrics.request(lb, tg, undefined, 200, 0.01, false);
    metrics.connection(lb);
    prometheus.absorbSamples(metrics.drain(2, []));

    const out = await text(prometheus);
    expect(out).toContain(`scaleout_lb_requests_total{load_balancer="${lb.dimension}"} 4`);
    expect(out).toContain(
      `scaleout_lb_http_responses_total{load_balancer="${lb.dimension}",source="target",class="2xx"} 2`,
    );
    expect(out).toContain(
      `scaleout_lb_http_responses_total{load_balancer="${lb.dimension}",source="target",class="5xx"} 1`,
    );
    expect(out).toContain(
      `scaleout_lb_http_responses_total{load_balancer="${lb.dimension}",source="elb",class="5xx"} 1`,
    );
    expect(out).toContain(
      `scaleout_target_group_requests_total{load_balancer="${lb.dimension}",target_group="${tg.dimension}"} 3`,
    );
    expect(out).toContain(`scaleout_lb_new_connections_total{load_balancer="${lb.dimension}"} 1`);
  });

  test("target reports add up across workers and outlive a worker's exit; its gauges do not", async () => {
    const prometheus = new ProxyPrometheus();
    const counters = new TargetCounters();
    counters.response(200, 1); // le 0.001: a bound is inclusive
    counters.response(200, 1.1); // le 0.0025
    counters.response(404, 20_000); // +Inf only
    const report = () => {
      const row: [string, string, string, number[], number[], number] = [
        lb.dimension,
        tg.dimension,
        "10.0.0.7:80",
        [...counters.byClass],
        [...counters.buckets],
        counters.sumMs,
      ];
      return row;
    };
    prometheus.report(1, {
      targets: [report()],
      inflight: [[lb.dimension, tg.dimension, "10.0.0.7:80", 2]],
      connections: [[lb.dimension, 5]],
    });
    prometheus.report(2, { targets: [report()], inflight: [], connections: [[lb.dimension, 1]] });
    let out = await text(prometheus);
    const target = `load_balancer="${lb.dimension}",target_group="${tg.dimension}",target="10.0.0.7:80"`;
    expect(out).toContain(`scaleout_target_http_responses_total{${target},class="2xx"} 4`);
    expect(out).toContain(`scaleout_target_http_responses_total{${target},class="4xx"} 2`);
    expect(out).toContain(`scaleout_target_response_seconds_bucket{${target},le="0.001"} 2`);
    expect(out).toContain(`scaleout_target_response_seconds_bucket{${target},le="0.0025"} 4`);
    expect(out).toContain(`scaleout_target_response_seconds_bucket{${target},le="10"} 4`);
    expect(out).toContain(`scaleout_target_response_seconds_bucket{${target},le="+Inf"} 6`);
    expect(out).toContain(`scaleout_target_response_seconds_count{${target}} 6`);
    expect(out).toContain(`scaleout_lb_active_connections{load_balancer="${lb.dimension}"} 6`);
    expect(out).toContain(`scaleout_target_active_requests{${target}} 2`);

    prometheus.forget(1);
    out = await text(prometheus);
    expect(out).toContain(`scaleout_target_response_seconds_count{${target}} 6`);
    expect(out).toContain(`scaleout_lb_active_connections{load_balancer="${lb.dimension}"} 1`);
    expect(out).not.toContain("scaleout_target_active_requests{");

    prometheus.retain(new Set([lb.dimension]), new Set());
    expect(await text(prometheus)).not.toContain("10.0.0.7:80");
  });

  test("a deleted load balancer's counters are no longer exported", async () => {
    const metrics = new MetricsAggregator();
    const prometheus = new ProxyPrometheus();
    metrics.request(lb, tg, undefined, 200, 0.01, false);
    prometheus.absorbSamples(metrics.drain(1, []));
    prometheus.retain(new Set(), new Set());
    expect(await text(prometheus)).not.toContain(lb.dimension);
  });
});

proxyTest(
  "a single proxy's snapshot: traffic by target, open connections, and the proxy process",
  async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b]);
    for (let i = 0; i < 5; i++) expect((await send(port, "/")).status).toBe(200);
    expect((await send(port, "/?status=404")).status).toBe(404);
    // A client connection left open: counted as active when the snapshot is taken.
    const idle = connect(port, loopback);
    env.defer(() => idle.destroy());
    await new Promise((resolve) => idle.once("connect", resolve));

    const sum = (out: string, metric: string) =>
      [...out.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    const out = await eventually(
      async () => {
        const snapshot = await h.proxy.prometheusSnapshot();
        const text = snapshot ? await AggregatorRegistry.aggregate([snapshot]).metrics() : "";
        return sum(text, "scaleout_lb_requests_total") === 6 ? text : undefined;
      },
      { timeoutMs: 5000, message: "6 requests in the proxy's snapshot" },
    );
    expect(sum(out, "scaleout_target_response_seconds_count")).toBe(6);
    expect(out).toMatch(/^scaleout_target_http_responses_total\{[^}]*class="4xx"\} 1$/m);
    expect(sum(out, "scaleout_lb_active_connections")).toBeGreaterThanOrEqual(1);
    expect(out).toMatch(/^process_resident_memory_bytes\{process="proxy"\} \d+/m);
  },
);
