import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { loadBalancerDimension, targetGroupDimension } from "../src/snapshot.ts";
import { type Harness, proxyTest as test } from "./helpers.ts";
import {
  askUntilAnswered,
  startUdpTarget,
  type UdpTarget,
  udpClient,
  udpLoadBalancer,
} from "./l4-udp-fixtures.ts";

/** A gauge's extremes over the last five minutes in AWS/NetworkELB, by load balancer and target group. */
function networkMetric(h: Harness, metricName: string, lbArn: string, tgArn: string) {
  const now = Math.floor(Date.now() / 1000);
  const { datapoints } = h.services.metrics.statistics({
    namespace: "AWS/NetworkELB",
    metricName,
    dimensions: [
      { name: "LoadBalancer", value: loadBalancerDimension(lbArn) },
      { name: "TargetGroup", value: targetGroupDimension(tgArn) },
    ],
    startTime: now - 300,
    endTime: now + 60,
    period: 60,
    statistics: ["Maximum", "Minimum"],
  });
  if (datapoints.length === 0) return undefined;
  return {
    maximum: Math.max(...datapoints.map((d) => d.maximum ?? Number.NEGATIVE_INFINITY)),
    minimum: Math.min(...datapoints.map((d) => d.minimum ?? Number.POSITIVE_INFINITY)),
  };
}

describe.concurrent("health checks of network load balancer target groups", () => {
  test("a killed target turns unhealthy on TCP checks (Target.FailedHealthChecks) and new flows avoid it", async ({
    env,
  }) => {
    const { h } = env;
    const targets: UdpTarget[] = [];
    for (let i = 1; i <= 3; i++) targets.push(await startUdpTarget(`t${i}`, i));
    env.defer(() => Promise.all(targets.map((t) => t.close().catch(() => {}))));
    const { port, lbArn, tgArn } = await udpLoadBalancer(h, targets);
    for (const t of targets) await h.waitForState("dns-tg", t.port, "healthy");
    // The checks were TCP connects on the traffic port.
    for (const t of targets) expect(t.checks).toBeGreaterThan(0);
    await eventually(
      () => (networkMetric(h, "HealthyHostCount", lbArn, tgArn)?.maximum === 3 ? true : undefined),
      {
        message: "HealthyHostCount 3 in AWS/NetworkELB",
      },
    );

    // Start a dozen client flows, then kill a target that one of them is on (the flows hash over the
    // three, so any one target has none of twelve once in ~130 runs).
    const clients = await Promise.all(Array.from({ length: 12 }, () => udpClient(port)));
    env.defer(() => {
      for (const c of clients) c.close();
    });
    const before = await Promise.all(clients.map((c, i) => askUntilAnswered(c, i)));
    const victim = targets.find((t) => before.some((a) => a.address === t.address));
    if (!victim) throw new Error("no flow answered from any target");
    const rest = targets.filter((t) => t !== victim);
    await victim.close();
    const unhealthy = await h.waitForState("dns-tg", victim.port, "unhealthy");
    expect(unhealthy).toEqual({
      state: "unhealthy",
      reason: "Target.FailedHealthChecks",
      description: "Health checks failed (ECONNREFUSED)",
    });
    await eventually(
      () => (networkMetric(h, "UnHealthyHostCount", lbArn, tgArn)?.maximum === 1 ? true : undefined),
      { message: "UnHealthyHostCount 1 in AWS/NetworkELB" },
    );
    expect(networkMetric(h, "HealthyHostCount", lbArn, tgArn)?.minimum).toBe(2);

    // New flows (new clients) avoid it; old flows that were on it start over elsewhere (ICMP ended them).
    const fresh = await Promise.all(Array.from({ length: 12 }, () => udpClient(port)));
    env.defer(() => {
      for (const c of fresh) c.close();
    });
    const after = await Promise.all([...fresh, ...clients].map((c, i) => askUntilAnswered(c, 100 + i)));
    const healthyAddresses = new Set(rest.map((t) => t.address));
    for (const answer of after) expect(healthyAddresses).toContain(answer.address);
  });

  test("HTTP checks of an NLB group: NLB's 200-399 matcher, and a failure reads Target.FailedHealthChecks", async ({
    env,
  }) => {
    const { h } = env;
    const [good, redirecting, failing] = await Promise.all([
      env.target("good"),
      env.target("redirect"),
      env.target("fail"),
    ]);
    redirecting.health.status = 302;
    failing.health.status = 503;
    await udpLoadBalancer(h, [good, redirecting, failing], {
      protocol: "TCP",
      name: "web",
      healthCheck: { protocol: "HTTP" },
    });
    await h.waitForState("web-tg", good.port, "healthy");
    await h.waitForState("web-tg", redirecting.port, "healthy");
    expect(await h.waitForState("web-tg", failing.port, "unhealthy")).toEqual({
      state: "unhealthy",
      reason: "Target.FailedHealthChecks",
      description: "Health checks failed with these codes: [503]",
    });
    // A check that hangs past its timeout fails the same way (NLB has no Target.Timeout).
    good.health.hang = true;
    expect(await h.waitForState("web-tg", good.port, "unhealthy")).toEqual({
      state: "unhealthy",
      reason: "Target.FailedHealthChecks",
      description: "Request timed out",
    });
  });
});
