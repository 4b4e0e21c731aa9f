import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { recordSamples } from "@scaleout/db";
import { groupMetricSamples } from "@scaleout/services";
import { beforeAll, describe, expect, onTestFinished } from "vitest";
import {
  buildTestApp,
  expectStatus,
  issueAlarm,
  repoRoot,
  seedGroup,
  seedWeb,
  apiTest as test,
} from "./helpers.ts";

/*
 * The console's server side: its views as JSON, its bundle, its live stream over a real socket, and how a
 * browser authenticates when SCALEOUT_API_TOKEN is set (console/session.ts). The browser itself is driven
 * in tests/e2e/console.test.ts.
 */

describe("console", () => {
  // The page is served only once its bundle exists (dist/console).
  beforeAll(() => {
    execFileSync(process.execPath, [join(repoRoot, "scripts", "build-console.mjs")]);
  });

  test("the views assemble the topology, a group and the metrics from the services", async ({ api }) => {
    const { targetGroupArn } = await seedWeb(api);
    await seedGroup(api);
    expectStatus(await api.request("PUT", "/v1/alarms/cpu-high", issueAlarm("arn:aws:none")), 201);
    expect(targetGroupArn).toMatch(/^arn:/);

    const topology = await api.request("GET", "/console/api/view?view=topology");
    expectStatus(topology, 200);
    expect(topology.body.loadBalancers).toMatchObject([
      { name: "web", state: "provisioning", listeners: [{ protocol: "HTTP", port: 8080 }] },
    ]);
    expect(topology.body.loadBalancers[0].listeners[0].rules[0]).toMatchObject({
      priority: "default",
      forwardsTo: [expect.any(String)],
      action: "forward",
    });

    const group = await api.request("GET", "/console/api/view?view=group&name=app");
    expectStatus(group, 200);
    expect(group.body).toMatchObject({ kind: "group", group: { name: "app" }, instances: [] });
    expect(group.body.history).toEqual(expect.any(Array));

    const metrics = await api.request("GET", "/console/api/view?view=metrics");
    expectStatus(metrics, 200);
    expect(metrics.body.alarms).toMatchObject([{ name: "cpu-high", threshold: 80 }]);
    expect(metrics.body.charts).toMatchObject([
      { title: expect.stringContaining("alarm cpu-high"), threshold: { value: 80 } },
    ]);

    const missing = await api.request("GET", "/console/api/view?view=group&name=nope");
    expect(missing.status).toBe(404);
    const bogus = await api.request("GET", "/console/api/view?view=bogus");
    expect(bogus.status).toBe(400);
  });

  test("a group that publishes its capacity metrics charts them from the metric store", async ({
    dataDir,
  }) => {
    // An api of its own whose console never ticks: the shared one samples every second, the groups of
    // whichever test is using it (a group named app, too) into its in-memory history.
    const api = await buildTestApp({ dataDir, console: { tickMs: 3_600_000 } });
    onTestFinished(() => api.close());
    await seedGroup(api);
    const viewed = async () =>
      (await api.request("GET", "/console/api/view?view=group&name=app")).body.history as number[][];
    // Without collection: this api's own samples (none in an api that runs no tick).
    expect(await viewed()).toEqual([]);
    expectStatus(
      await api.request("PUT", "/v1/auto-scaling-groups/app/metrics-collection", {
        metrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances"],
        granularity: "1Minute",
      }),
      200,
    );
    // What the worker's collect-metrics publishes each second, written here for two seconds a minute ago:
    // an api started after them (its in-memory samples empty) still charts them.
    const second = Math.floor(Date.now() / 1000 / 5) * 5 - 60;
    const samples = groupMetricSamples(api.handle.db, second);
    expect(samples.map((s) => s.metricName)).toEqual([
      "GroupDesiredCapacity",
      "GroupInServiceInstances",
      "GroupPendingInstances",
    ]);
    recordSamples(api.handle.db, samples);
    recordSamples(
      api.handle.db,
      samples.map((s) => ({ ...s, timestamp: second + 5, sum: 7, minimum: 7, maximum: 7 })),
    );
    const desired = samples[0]?.maximum ?? -1;
    expect(await viewed()).toEqual([
      [second, desired, 0, 0],
      [second + 5, 7, 7, 7],
    ]);
  });

  test("the page and its bundle are served from files", async ({ api }) => {
    const page = await api.request("GET", "/console");
    expectStatus(page, 200);
    expect(page.raw.headers["content-type"]).toMatch(/text\/html/);
    expect(page.raw.body).toContain("/console/assets/console.js");
    const js = await api.request("GET", "/console/assets/console.js");
    expectStatus(js, 200);
    expect(js.raw.headers["content-type"]).toMatch(/javascript/);
    expect((await api.request("GET", "/console/assets/..%2Fapi.mjs")).status).toBe(404);
  });

  test("with a token, ?token= is exchanged for a session cookie that reads the console and acts only with its header", async ({
    dataDir,
  }) => {
    const t = await buildTestApp({ dataDir, apiToken: "s3cret-token" });
    try {
      expect((await t.request("GET", "/console")).status).toBe(401);
      expect((await t.request("GET", "/console?token=wrong")).status).toBe(401);
      const exchange = await t.request("GET", "/console?token=s3cret-token");
      expect(exchange.status).toBe(303);
      expect(exchange.raw.headers.location).toBe("/console");
      const setCookie = String(exchange.raw.headers["set-cookie"]);
      expect(setCookie).toMatch(/^scaleout_console=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      // The cookie holds a MAC of the token, never the token.
      expect(setCookie).not.toContain("s3cret-token");
      const cookie = setCookie.split(";")[0] ?? "";

      expect((await t.request("GET", "/console", undefined, { cookie })).status).toBe(200);
      expectStatus(await t.request("GET", "/console/api/view?view=topology", undefined, { cookie }), 200);
      // The cookie alone does not reach the API: a request that acts needs the console's header too.
      expect((await t.request("GET", "/v1/load-balancers", undefined, { cookie })).status).toBe(401);
      expect((await t.request("POST", "/v1/load-balancers", { name: "x" }, { cookie })).status).toBe(401);
      const acted = await t.request(
        "POST",
        "/v1/load-balancers",
        { name: "from-console" },
        { cookie, "x-scaleout-console": "1" },
      );
      expectStatus(acted, 201);
      // Another site's page is refused even with both (its Origin gives it away).
      const foreign = await t.request(
        "POST",
        "/v1/load-balancers",
        { name: "evil" },
        { cookie, "x-scaleout-console": "1", origin: "http://evil.test" },
      );
      expect(foreign.status).toBe(403);
      // A forged cookie is nothing.
      const forged = "scaleout_console=AAAA";
      expect((await t.request("GET", "/console", undefined, { cookie: forged })).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  test("the event stream sends the view at once and again when it changes", async ({ dataDir }) => {
    const t = await buildTestApp({ dataDir });
    try {
      await seedGroup(t);
      const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
      const res = await fetch(`${address}/console/events?view=group&name=app`, {
        signal: AbortSignal.timeout(15_000),
      });
      expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
      const reader = res.body?.getReader();
      if (!reader) throw new Error("no body");
      const decoder = new TextDecoder();
      let buffered = "";
      const nextView = async (): Promise<{ group: { desired: number } }> => {
        for (;;) {
          const end = buffered.indexOf("\n\n");
          if (end !== -1) {
            const message = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = message.split("\n").find((line) => line.startsWith("data: "));
            if (message.startsWith("event: view") && data) return JSON.parse(data.slice(6));
            continue;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error("the stream ended");
          buffered += decoder.decode(value, { stream: true });
        }
      };
      expect((await nextView()).group.desired).toBe(1);
      expectStatus(
        await t.request("PUT", "/v1/auto-scaling-groups/app/desired-capacity", { desiredCapacity: 2 }),
        200,
      );
      expect((await nextView()).group.desired).toBe(2);
      await reader.cancel();
    } finally {
      await t.close();
    }
  });

  test("a page of an allowed origin may follow the event stream: the CORS header comes with it", async ({
    dataDir,
  }) => {
    const t = await buildTestApp({
      dataDir,
      trust: { bindHost: "127.0.0.1", allowedHosts: [], allowedOrigins: ["http://console.test"] },
    });
    try {
      await seedGroup(t);
      const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
      const controller = new AbortController();
      const res = await fetch(`${address}/console/events?view=topology`, {
        headers: { origin: "http://console.test" },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("http://console.test");
      expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      controller.abort();
    } finally {
      await t.close();
    }
  });
});
