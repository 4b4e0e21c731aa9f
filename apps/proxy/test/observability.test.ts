import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { forward, freePort, type Harness, type ProxyEnv, send, sleep, proxyTest as test } from "./helpers.ts";

const namespace = "AWS/ApplicationELB";

/** GetMetricStatistics over the last minutes, periods folded into one set. */
function statistics(h: Harness, metricName: string, dimensions: Array<{ name: string; value: string }>) {
  const now = Math.floor(Date.now() / 1000);
  const { datapoints } = h.services.metrics.statistics({
    namespace,
    metricName,
    dimensions,
    startTime: now - 300,
    endTime: now + 60,
    period: 60,
    statistics: ["Sum", "SampleCount", "Maximum", "Minimum"],
  });
  if (datapoints.length === 0) return undefined;
  return {
    sum: datapoints.reduce((n, d) => n + (d.sum ?? 0), 0),
    sampleCount: datapoints.reduce((n, d) => n + (d.sampleCount ?? 0), 0),
    maximum: Math.max(...datapoints.map((d) => d.maximum ?? Number.NEGATIVE_INFINITY)),
    minimum: Math.min(...datapoints.map((d) => d.minimum ?? Number.POSITIVE_INFINITY)),
    unit: datapoints[0]?.unit,
  };
}

/** Splits an access log line into its fields: quoted strings stay whole. */
const fields = (line: string): string[] =>
  (line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((f) => (f.startsWith('"') ? f.slice(1, -1) : f));

/** One load balancer with a group of two targets, a fixed response, an empty group and a dead target. */
async function scenario(env: ProxyEnv) {
  const { h } = env;
  const [a, b] = await Promise.all([env.target("a"), env.target("b")]);
  const lbArn = h.loadBalancer();
  const tg = h.targetGroup("tg", [a, b]);
  const empty = h.targetGroup("empty", []);
  const deadPort = await freePort();
  const down = h.targetGroup("down", [{ port: deadPort }]);
  const listener = await h.listener(lbArn, forward(tg));
  const rule = (priority: number, path: string, actions: Parameters<typeof forward>[0] | "fixed") =>
    h.services.rules.create(listener.arn, {
      priority,
      conditions: [{ field: "path-pattern", values: [path] }],
      actions:
        actions === "fixed"
          ? [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: "fixed" } }]
          : forward(actions),
    });
  rule(5, "/fixed", "fixed");
  rule(10, "/empty", empty);
  rule(20, "/down", down);
  await h.reload();
  await h.waitForState("tg", a.port, "healthy");
  await h.waitForState("tg", b.port, "healthy");
  return {
    a,
    b,
    port: listener.port,
    deadPort,
    lb: {
      name: "LoadBalancer",
      value: lbArn.slice(lbArn.indexOf(":loadbalancer/") + ":loadbalancer/".length),
    },
    tg: { name: "TargetGroup", value: tg.slice(tg.lastIndexOf(":") + 1) },
    down: { name: "TargetGroup", value: down.slice(down.lastIndexOf(":") + 1) },
    tgArn: tg,
  };
}

describe("metrics and access log", () => {
  test("AWS/ApplicationELB metrics with AWS's dimensions", async ({ env }) => {
    const { h } = env;
    const s = await scenario(env);
    expect(s.lb.value).toMatch(/^app\/web\/[0-9a-f]{16}$/);
    expect(s.tg.value).toMatch(/^targetgroup\/tg\/[0-9a-f]{16}$/);

    for (let i = 0; i < 10; i++) expect((await send(s.port, "/?delay=5")).status).toBe(200);
    expect((await send(s.port, "/?status=404&delay=5")).status).toBe(404);
    expect((await send(s.port, "/fixed")).status).toBe(200);
    expect((await send(s.port, "/empty")).status).toBe(503);
    expect((await send(s.port, "/empty")).status).toBe(503);
    expect((await send(s.port, "/down")).status).toBe(502);

    const lbOnly = [s.lb];
    const byGroup = [s.lb, s.tg];
    await eventually(() => (statistics(h, "RequestCount", lbOnly)?.sum === 15 ? true : undefined), {
      message: `RequestCount 15 (now ${JSON.stringify(statistics(h, "RequestCount", lbOnly))})`,
      timeoutMs: 5000,
    });
    expect(statistics(h, "RequestCount", byGroup)?.sum).toBe(11);
    expect(statistics(h, "HTTPCode_Target_2XX_Count", lbOnly)?.sum).toBe(10);
    expect(statistics(h, "HTTPCode_Target_2XX_Count", byGroup)?.sum).toBe(10);
    expect(statistics(h, "HTTPCode_Target_4XX_Count", lbOnly)?.sum).toBe(1);
    expect(statistics(h, "HTTPCode_ELB_5XX_Count", lbOnly)?.sum).toBe(3);
    expect(statistics(h, "HTTPCode_ELB_503_Count", lbOnly)?.sum).toBe(2);
    expect(statistics(h, "HTTPCode_ELB_502_Count", lbOnly)?.sum).toBe(1);
    expect(statistics(h, "TargetConnectionErrorCount", lbOnly)?.sum).toBe(1);
    expect(statistics(h, "TargetConnectionErrorCount", [s.lb, s.down])?.sum).toBe(1);

    const responseTime = statistics(h, "TargetResponseTime", lbOnly);
    expect(responseTime?.unit).toBe("Seconds");
    expect(responseTime?.sampleCount).toBe(11);
    expect(responseTime?.minimum).toBeGreaterThan(0.004);
    expect(responseTime?.maximum).toBeLessThan(1);
    expect(statistics(h, "TargetResponseTime", byGroup)?.sampleCount).toBe(11);

    // Requests over healthy targets, per second: 11 requests over 2 targets in all.
    expect(statistics(h, "RequestCountPerTarget", byGroup)?.sum).toBeCloseTo(5.5, 5);
    expect(statistics(h, "RequestCountPerTarget", [s.tg])?.sum).toBeCloseTo(5.5, 5);

    // Host counts, by target group and load balancer, every second.
    await eventually(() => (statistics(h, "HealthyHostCount", byGroup)?.maximum === 2 ? true : undefined));
    expect(statistics(h, "UnHealthyHostCount", byGroup)?.maximum).toBe(0);
    await h.waitForState("down", s.deadPort, "unhealthy");
    await eventually(
      () => (statistics(h, "UnHealthyHostCount", [s.lb, s.down])?.maximum === 1 ? true : undefined),
      { message: "UnHealthyHostCount 1 for the dead group" },
    );
    expect(statistics(h, "HealthyHostCount", [s.lb, s.down])?.minimum).toBe(0);

    // ListMetrics finds them under AWS's namespace.
    const listed = h.services.metrics.list({
      namespace,
      dimensions: [{ name: "LoadBalancer", value: s.lb.value }],
    });
    const names = new Set(listed.items.map((m) => m.metricName));
    for (const name of ["RequestCount", "HTTPCode_ELB_503_Count", "HealthyHostCount", "TargetResponseTime"])
      expect(names).toContain(name);
  });

  test("one access log line per request, in ALB's format", async ({ env }) => {
    const { h } = env;
    const s = await scenario(env);
    const requests: Array<[string, Record<string, string>?]> = [
      ["/path?q=1", { "user-agent": "probe/1.0" }],
      ["/fixed"],
      ["/empty"],
      ["/down"],
    ];
    for (const [path, headers] of requests) await send(s.port, path, headers ? { headers } : {});
    // The log is written in batches: wait for the batch, then check nothing more arrives.
    const lines = await eventually(
      () => (h.accessLogLines().length >= requests.length ? h.accessLogLines() : undefined),
      {
        message: "the access log lines",
      },
    );
    expect(lines).toHaveLength(requests.length);
    const [forwarded, fixed, empty, down] = lines.map(fields);
    for (const f of [forwarded, fixed, empty, down]) {
      expect(f).toHaveLength(30);
      expect(f?.[0]).toBe("http");
      expect(f?.[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(f?.[2]).toBe(s.lb.value);
      expect(f?.[3]).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(f?.[17]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    }

    // type time elb client:port target:port request_processing_time target_processing_time
    // response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request"
    // "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
    // matched_rule_priority request_creation_time "actions_executed" "redirect_url" "error_reason" ...
    const seenTrace = [s.a, s.b].flatMap((t) => t.seen).at(-1)?.headers["x-amzn-trace-id"];
    expect(forwarded?.[4]).toMatch(new RegExp(`^127\\.0\\.0\\.1:(${s.a.port}|${s.b.port})$`));
    expect(Number(forwarded?.[6])).toBeGreaterThanOrEqual(0);
    expect(forwarded?.[8]).toBe("200");
    expect(forwarded?.[9]).toBe("200");
    expect(Number(forwarded?.[11])).toBeGreaterThan(0);
    expect(forwarded?.[12]).toBe(`GET http://127.0.0.1:${s.port}/path?q=1 HTTP/1.1`);
    expect(forwarded?.[13]).toBe("probe/1.0");
    expect(forwarded?.[16]).toBe(s.tgArn);
    expect(forwarded?.[17]).toBe(seenTrace);
    expect(forwarded?.[20]).toBe("0");
    expect(forwarded?.[22]).toBe("forward");
    expect(forwarded?.[24]).toBe("-");

    expect(fixed?.[4]).toBe("-");
    expect(fixed?.[6]).toBe("-1");
    expect(fixed?.[8]).toBe("200");
    expect(fixed?.[9]).toBe("-");
    expect(fixed?.[20]).toBe("5");
    expect(fixed?.[22]).toBe("fixed-response");

    expect(empty?.[8]).toBe("503");
    expect(empty?.[9]).toBe("-");
    expect(empty?.[20]).toBe("10");

    expect(down?.[4]).toBe(`127.0.0.1:${s.deadPort}`);
    expect(down?.[8]).toBe("502");
    expect(down?.[9]).toBe("-");
    expect(down?.[20]).toBe("20");
    expect(down?.[24]).toBe("TargetConnectionRefused");
  });

  test("a load balancer whose access_logs.s3.enabled attribute is off logs nothing", async ({ env }) => {
    const { h } = env;
    const s = await scenario(env);
    h.services.loadBalancers.modifyAttributes(s.lb.value.split("/")[1] ?? "", [
      { key: "access_logs.s3.enabled", value: "false" },
    ]);
    await h.reload();
    for (let i = 0; i < 3; i++) expect((await send(s.port, "/path")).status).toBe(200);
    await sleep(50);
    expect(h.accessLogLines()).toHaveLength(0);
  });

  test("a client that leaves before the answer is logged 460, and the target's request is cancelled", async ({
    env,
  }) => {
    const { h } = env;
    const s = await scenario(env);
    const gone = send(s.port, "/hold", { timeoutMs: 200 }).catch((error: Error) => error.message);
    expect(await gone).toMatch(/timed out/);
    await eventually(() => h.accessLogLines()[0], { message: "the access log line" });
    const [line] = h.accessLogLines().map(fields);
    expect(line?.[8]).toBe("460");
    expect(line?.[9]).toBe("-");
    expect(line?.[24]).toBe("ClientClosed");
    // The proxy let go of the target's connection too.
    await eventually(() => (s.a.inflight + s.b.inflight === 0 ? true : undefined), {
      message: "the held request closed on the target",
    });
  });
});
