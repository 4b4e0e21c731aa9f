import type { AddressInfo } from "node:net";
import { schema } from "@scaleout/db";
import { describe, expect } from "vitest";
import { buildTestApp, expectError, expectStatus, seedWeb, apiTest as test } from "./helpers.ts";

/*
 * The api's side of proxies on other hosts (routes/proxies.ts): the snapshot and its ETag, the
 * health-check lease, and reports validated as outside input (4xx, never 5xx).
 */

describe("proxy feed", () => {
  test("GET /v1/proxy/snapshot: the registry rows with the configuration version as ETag; 304 when unchanged", async ({
    api,
  }) => {
    await seedWeb(api);
    const first = await api.request("GET", "/v1/proxy/snapshot");
    expectStatus(first, 200);
    const etag = first.raw.headers.etag;
    expect(etag).toBe(`"v${first.body.version}"`);
    expect(first.body.loadBalancers.map((lb: { name: string }) => lb.name)).toEqual(["web"]);
    expect(first.body.listeners[0].port).toBe(8080);
    expect(first.body.targetGroups).toHaveLength(1);

    const same = await api.request("GET", "/v1/proxy/snapshot", undefined, { "if-none-match": String(etag) });
    expect(same.status).toBe(304);
    expect(same.raw.body).toBe("");

    expectStatus(await api.request("POST", "/v1/load-balancers", { name: "other" }), 201);
    const changed = await api.request("GET", "/v1/proxy/snapshot", undefined, {
      "if-none-match": String(etag),
    });
    expectStatus(changed, 200);
    expect(changed.body.version).toBeGreaterThan(first.body.version);
    // Anything that is not one of our tags is no match.
    const garbage = await api.request("GET", "/v1/proxy/snapshot", undefined, {
      "if-none-match": "nonsense",
    });
    expectStatus(garbage, 200);
  });

  test("one proxy holds the lease until it releases it; only the holder's health counts", async ({ api }) => {
    const { targetGroupArn } = await seedWeb(api);
    expectStatus(
      await api.request("POST", "/v1/target-groups/web-tg/targets", {
        targets: [{ id: "127.0.0.1", port: 9001 }],
      }),
      200,
    );
    const a = `a-${Date.now()}`;
    const b = `b-${Date.now()}`;
    const first = await api.request("POST", "/v1/proxy/lease", { proxy: a });
    expectStatus(first, 200);
    expect(first.body).toMatchObject({ held: true, holder: a });
    const second = await api.request("POST", "/v1/proxy/lease", { proxy: b });
    expect(second.body).toMatchObject({ held: false, holder: a });

    const health = {
      targetGroupArn,
      id: "127.0.0.1",
      port: 9001,
      state: "healthy",
      reason: null,
      description: null,
    };
    expectError(
      await api.request("POST", "/v1/proxy/reports", { proxy: b, health: [health] }),
      409,
      "LeaseNotHeld",
    );
    const written = await api.request("POST", "/v1/proxy/reports", { proxy: a, health: [health] });
    expectStatus(written, 200);
    expect(written.body.health).toBe(1);
    const described = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(JSON.stringify(described.body)).toContain("healthy");

    // A clean stop gives the lease up: the other proxy takes over at once.
    expectStatus(await api.request("POST", "/v1/proxy/lease", { proxy: a, release: true }), 200);
    expect((await api.request("POST", "/v1/proxy/lease", { proxy: b })).body).toMatchObject({ held: true });
    await api.request("POST", "/v1/proxy/lease", { proxy: b, release: true });
  });

  test("reports are outside input: a malformed one is a 400, never a 500", async ({ api }) => {
    const { loadBalancerArn } = await seedWeb(api);
    const sample = {
      namespace: "AWS/ApplicationELB",
      metricName: "RequestCount",
      dimensions: [{ name: "LoadBalancer", value: "app/web/0123456789abcdef" }],
      timestamp: Math.floor(Date.now() / 1000),
      sampleCount: 1,
      sum: 3,
      minimum: 3,
      maximum: 3,
    };
    const waf = {
      samples: [
        [
          "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/acl/0123",
          "rule",
          29_000_000,
          {
            Request: {
              ClientIP: "127.0.0.1",
              Country: "-",
              URI: "/",
              Method: "GET",
              HTTPVersion: "HTTP/1.1",
              Headers: [],
            },
            Weight: 1,
            Timestamp: 1_700_000_000,
            Action: "BLOCK",
          },
        ],
      ],
      population: [],
      managedKeys: [],
    };
    const ok = await api.request("POST", "/v1/proxy/reports", {
      proxy: "p1",
      waf,
      samples: [sample],
      loadBalancerStates: [{ arn: loadBalancerArn, state: "active", reason: null }],
    });
    expectStatus(ok, 200);
    expect(ok.body.samples).toBe(1);
    for (const bad of [
      { proxy: "p1", samples: [{ ...sample, namespace: "Custom/Anything" }] },
      { proxy: "p1", samples: [{ ...sample, sum: "three" }] },
      { proxy: "p 1" },
      {
        proxy: "p1",
        health: [
          { targetGroupArn: "x", id: "y", port: 0, state: "healthy", reason: null, description: null },
        ],
      },
      {
        proxy: "p1",
        health: [
          { targetGroupArn: "x", id: "y", port: 80, state: "draining", reason: null, description: null },
        ],
      },
      { proxy: "p1", loadBalancerStates: [{ arn: loadBalancerArn, state: "provisioning", reason: null }] },
      { proxy: "p1", extra: true },
      { proxy: "p1", waf: { ...waf, samples: [["arn", "rule", 1, { Weight: 1 }]] } },
      { proxy: "p1", waf: { samples: [], population: [["arn", "rule", -1, 3]], managedKeys: [] } },
      [],
    ])
      expect([JSON.stringify(bad), (await api.request("POST", "/v1/proxy/reports", bad)).status]).toEqual([
        JSON.stringify(bad),
        400,
      ]);
    expect((await api.request("POST", "/v1/proxy/lease", { proxy: "" })).status).toBe(400);
  });

  test("a draining target is recorded drained once every following proxy has reported it", async ({
    dataDir,
  }) => {
    const t = await buildTestApp({ dataDir, fast: true });
    try {
      const { targetGroupArn } = await seedWeb(t);
      const target = { id: "127.0.0.1", port: 9002 };
      expectStatus(await t.request("POST", "/v1/target-groups/web-tg/targets", { targets: [target] }), 200);
      expectStatus(
        await t.request("POST", "/v1/target-groups/web-tg/targets/deregister", { targets: [target] }),
        200,
      );
      await t.app.listen({ host: "127.0.0.1", port: 0 });
      const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const streams = await Promise.all(
        ["a", "b"].map(async (proxy) => {
          const response = await fetch(`${base}/v1/proxy/changes?proxy=${proxy}`);
          const reader = response.body?.getReader();
          await reader?.read(); // the hello: following from here
          return reader;
        }),
      );
      const drainedAt = () =>
        t.handle.db.select({ drainedAt: schema.targets.drainedAt }).from(schema.targets).get()?.drainedAt;
      const report = (proxy: string) =>
        t.request("POST", "/v1/proxy/reports", { proxy, drained: [{ targetGroupArn, ...target, at: 1234 }] });
      expectStatus(await report("a"), 200);
      expect(drainedAt()).toBeNull();
      // b still has requests to it; once it reports too, the instance may stop.
      expectStatus(await report("b"), 200);
      expect(drainedAt()).toBe(1234);
      for (const reader of streams) await reader?.cancel();
    } finally {
      await t.close();
    }
  });
});
