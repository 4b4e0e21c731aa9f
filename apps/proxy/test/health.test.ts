import { Agent } from "node:http";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { countByTarget, forward, load, loopback, send, sleep, proxyTest as test } from "./helpers.ts";

// Each test waits on 1 s health check intervals far more than it computes: they run side by side.
describe.concurrent("health state transitions, as DescribeTargetHealth reports them", () => {
  test("unused (no listener) → initial → healthy after ONE passing check", async ({ env }) => {
    const { h } = env;
    const a = await env.target("a");
    const lb = h.loadBalancer();
    const tgArn = h.targetGroup("tg", [a]);
    await h.reload();
    expect(h.health("tg")[a.port]).toEqual({
      state: "unused",
      reason: "Target.NotInUse",
      description: "Target group is not configured to receive traffic from the load balancer",
    });
    await sleep(300);
    expect(a.health.checks, "a group no load balancer uses is not health-checked").toBe(0);

    await h.listener(lb, forward(tgArn));
    expect(h.health("tg")[a.port]).toEqual({
      state: "initial",
      reason: "Elb.RegistrationInProgress",
      description: "Target registration is in progress",
    });
    const reloadedAt = Date.now();
    await h.reload();
    // healthyThresholdCount is 2, yet a new target needs one pass: well inside one 1 s interval.
    await h.waitForState("tg", a.port, "healthy");
    expect(Date.now() - reloadedAt).toBeLessThan(900);
    expect(a.health.checks).toBe(1);
    expect(h.health("tg")[a.port]).toEqual({ state: "healthy" });
    // Each state change is one info line, however many checks pass after it.
    await eventually(() => (a.health.checks >= 3 ? true : undefined), {
      timeoutMs: 5_000,
      message: "3 checks",
    });
    const once = (line: string) => h.infos.filter((info) => info === line).length;
    expect(once(`target ${loopback}:${a.port} of tg: initial → healthy`)).toBe(1);
    expect(once("load balancer web is active: every listener bound")).toBe(1);
    expect(
      h.infos.filter((info) => /^listener bound: HTTP 127\.0\.0\.1:\d+ \(load balancer web\)$/.test(info)),
    ).toHaveLength(1);
    expect(h.infos.filter((info) => info.startsWith("target ")).length).toBe(1);

    // A target that is not registered at all.
    expect(h.services.targetGroups.health("tg", [{ id: loopback, port: 1 }])[0]?.targetHealth).toEqual({
      state: "unused",
      reason: "Target.NotRegistered",
      description: "Target is not registered to the target group",
    });
  });

  test("a new target failing its first check: initial / Elb.InitialHealthChecking, then unhealthy", async ({
    env,
  }) => {
    const { h } = env;
    const a = await env.target("a");
    a.health.status = 503;
    await h.simple([a], { waitHealthy: false });
    await h.waitForState("tg", a.port, "initial", { reason: "Elb.InitialHealthChecking" });
    expect(h.health("tg")[a.port]?.description).toBe("Initial health checks in progress");
    await h.waitForState("tg", a.port, "unhealthy", { reason: "Target.ResponseCodeMismatch" });
  });

  test("a second target's registration checks only it early: a booting target's failures count once an interval", async ({
    env,
  }) => {
    const { h } = env;
    const a = await env.target("a");
    a.health.status = 503;
    await h.simple([a], {
      waitHealthy: false,
      healthCheck: { healthCheckIntervalSeconds: 5, healthCheckTimeoutSeconds: 2 },
    });
    await h.waitForState("tg", a.port, "initial", { reason: "Elb.InitialHealthChecking" });
    const b = await env.target("b");
    h.services.targetGroups.register("tg", [{ id: loopback, port: b.port }]);
    await h.reload();
    await h.waitForState("tg", b.port, "healthy");
    // Before: the new target's early round checked `a` too, its second failure within the interval took
    // it to unhealthy (its group replaced the instance before it had booted).
    expect(a.health.checks).toBe(1);
    expect(h.health("tg")[a.port]?.state).toBe("initial");
  });

  test("healthy → unhealthy (ResponseCodeMismatch, Timeout, FailedHealthChecks) → healthy again", async ({
    env,
  }) => {
    const { h } = env;
    const [mismatch, timeout, refused, steady] = await Promise.all([
      env.target("mismatch"),
      env.target("timeout"),
      env.target("refused"),
      env.target("steady"),
    ]);
    const { port } = await h.simple([mismatch, timeout, refused, steady]);

    const checksBefore = mismatch.health.checks;
    mismatch.health.status = 503;
    timeout.health.hang = true;
    await refused.close();

    const unhealthy = await h.waitForState("tg", mismatch.port, "unhealthy");
    expect(unhealthy).toEqual({
      state: "unhealthy",
      reason: "Target.ResponseCodeMismatch",
      description: "Health checks failed with these codes: [503]",
    });
    // unhealthyThresholdCount is 2: one failed check is not enough.
    expect(mismatch.health.checks - checksBefore).toBeGreaterThanOrEqual(2);
    expect(await h.waitForState("tg", timeout.port, "unhealthy")).toEqual({
      state: "unhealthy",
      reason: "Target.Timeout",
      description: "Request timed out",
    });
    expect(await h.waitForState("tg", refused.port, "unhealthy")).toEqual({
      state: "unhealthy",
      reason: "Target.FailedHealthChecks",
      description: "Health checks failed",
    });
    expect(h.health("tg")[steady.port]).toEqual({ state: "healthy" });

    // Only the healthy target takes traffic now.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    env.defer(() => agent.destroy());
    expect(countByTarget(await load(12, 4, () => send(port, "/", { agent })))).toEqual({ steady: 12 });

    // unhealthy → healthy after healthyThresholdCount (2) passes in a row.
    const passesFrom = mismatch.health.checks;
    mismatch.health.status = 200;
    await h.waitForState("tg", mismatch.port, "healthy");
    expect(mismatch.health.checks - passesFrom).toBeGreaterThanOrEqual(2);
    const counts = countByTarget(await load(12, 1, () => send(port, "/", { agent })));
    expect(counts).toEqual({ mismatch: 6, steady: 6 });
  });

  test("the matcher decides what passes", async ({ env }) => {
    const { h } = env;
    const a = await env.target("a");
    a.health.status = 204;
    await h.simple([a], { healthCheck: { matcher: { httpCode: "200-299" } } });
    h.services.targetGroups.modify("tg", { matcher: { httpCode: "200" } });
    await h.reload();
    expect(
      await h.waitForState("tg", a.port, "unhealthy", { reason: "Target.ResponseCodeMismatch" }),
    ).toMatchObject({ description: "Health checks failed with these codes: [204]" });
  });

  test("the health check port may differ from the traffic port", async ({ env }) => {
    const { h } = env;
    const [traffic, checker] = await Promise.all([env.target("traffic"), env.target("checker")]);
    traffic.health.status = 503;
    const { port } = await h.simple([traffic], { healthCheck: { healthCheckPort: String(checker.port) } });
    expect(traffic.health.checks).toBe(0);
    expect(checker.health.checks).toBeGreaterThan(0);
    expect(h.services.targetGroups.health("tg")[0]?.healthCheckPort).toBe(String(checker.port));
    expect((await send(port)).target).toBe("traffic");
  });

  test("fail-open: when every target is unhealthy, requests still reach all of them", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b]);
    a.health.status = 500;
    b.health.status = 500;
    await h.waitForState("tg", a.port, "unhealthy");
    await h.waitForState("tg", b.port, "unhealthy");
    const replies = await load(10, 1, () => send(port));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(countByTarget(replies)).toEqual({ a: 5, b: 5 });
  });

  test("health checks disabled: unavailable, and traffic flows to every target", async ({ env }) => {
    const { h } = env;
    const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await h.simple([a, b]);
    a.health.status = 503;
    await h.waitForState("tg", a.port, "unhealthy");
    expect(countByTarget(await load(4, 1, () => send(port)))).toEqual({ b: 4 });

    h.services.targetGroups.modify("tg", { healthCheckEnabled: false });
    await h.reload();
    for (const t of [a, b]) {
      expect(h.health("tg")[t.port]).toEqual({
        state: "unavailable",
        reason: "Target.HealthCheckDisabled",
        description: "Health checks are disabled",
      });
    }
    expect(countByTarget(await load(10, 1, () => send(port)))).toEqual({ a: 5, b: 5 });
    const checks = a.health.checks + b.health.checks;
    await sleep(1300);
    expect(a.health.checks + b.health.checks, "no checks while disabled").toBe(checks);

    // Enabled again: checks resume and the failing target leaves the rotation.
    h.services.targetGroups.modify("tg", { healthCheckEnabled: true });
    await h.reload();
    await eventually(() => (a.health.checks + b.health.checks > checks ? true : undefined));
    await h.waitForState("tg", a.port, "unhealthy");
    expect(countByTarget(await load(4, 1, () => send(port)))).toEqual({ b: 4 });
  });
});
