import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { eventually, tempDir } from "@scaleout/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../apps/api/src/app.ts";
import { fastHealthCheck, startTarget, type TargetServer } from "../../apps/proxy/test/helpers.ts";
import { get, type RemoteProxyProcess, spawnRemoteProxy } from "./fixtures.ts";

/*
 * Two proxies on two loopback addresses (127.0.0.2, 127.0.0.3), each fed only by the api (no SQLite
 * path, no Redis): changes reach both (bench/multi-proxy times it), health stays one view with one set of checks, and
 * both keep serving when the api stops.
 */

const hosts = ["127.0.0.2", "127.0.0.3"] as const;
let dir: ReturnType<typeof tempDir>;
let app: Awaited<ReturnType<typeof buildApp>>;
let apiUrl: string;
let listenerArn: string;
let port: number;
let stable: TargetServer;
let flapping: TargetServer;
const proxies: RemoteProxyProcess[] = [];

beforeAll(async () => {
  dir = tempDir();
  const handle = createDb(join(dir.dir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  app = await buildApp({ services, proxyFeed: { leaseTtlMs: 1500 } });
  await app.listen({ host: "127.0.0.1", port: 0 });
  apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  stable = await startTarget("stable");
  flapping = await startTarget("flapping");
  const lb = services.loadBalancers.create({ name: "web" }).loadBalancer.loadBalancerArn;
  const { targetGroup } = services.targetGroups.create({
    name: "app",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    ...fastHealthCheck,
  });
  services.targetGroups.register("app", [
    { id: "127.0.0.1", port: stable.port },
    { id: "127.0.0.1", port: flapping.port },
  ]);
  port = await freePort();
  listenerArn = services.listeners.create(lb, {
    protocol: "HTTP",
    port,
    defaultActions: [
      { type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: "default" } },
    ],
  }).listenerArn;
  services.rules.create(listenerArn, {
    priority: 1,
    conditions: [{ field: "path-pattern", values: ["/app/*"] }],
    actions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });

  for (const [i, host] of hosts.entries()) proxies.push(spawnRemoteProxy(apiUrl, host, `proxy-${i + 2}`));
  for (const host of hosts)
    await eventually(async () => ((await get(host, port, "/")).body === "default" ? true : undefined), {
      timeoutMs: 20_000,
      message: `the proxy on ${host} serving`,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${proxies.map((p) => p.output()).join("\n")}`);
    });
}, 60_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await app?.close();
  await stable?.close();
  await flapping?.close();
  dir?.remove();
});

async function ruleThroughApi(priority: number, path: string, body: string): Promise<number> {
  const response = await fetch(`${apiUrl}/v1/listeners/${encodeURIComponent(listenerArn)}/rules`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      priority,
      conditions: [{ field: "path-pattern", values: [path] }],
      actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: body } }],
    }),
  });
  expect(response.status).toBe(201);
  return performance.now();
}

describe("proxies fed by the api", () => {
  it("a rule created through the api is served by both proxies, fed by its change stream", async () => {
    const figures: number[][] = [];
    for (const n of [1, 2, 3]) {
      const path = `/new${n}`;
      const at = await ruleThroughApi(10 + n, path, `rule ${n}`);
      const times = await Promise.all(
        hosts.map(async (host) => {
          await eventually(
            async () => ((await get(host, port, path)).body === `rule ${n}` ? true : undefined),
            {
              timeoutMs: 10_000,
              intervalMs: 0,
              message: `${host} serving ${path}`,
            },
          );
          return Math.round(performance.now() - at);
        }),
      );
      figures.push(times);
    }
    // How fast is bench/multi-proxy's figure (issue 17: within 100 ms), not an assertion of a test.
    console.log(
      `rule created through the api → served by 127.0.0.2 / 127.0.0.3: ${figures.map((f) => `${f[0]} / ${f[1]} ms`).join(", ")}`,
    );
  });

  it("target health stays agreed under a flapping target, checked by one proxy only", async () => {
    // Both targets healthy in both views first.
    for (const host of hosts)
      await eventually(
        async () => {
          const seen = new Set<string | undefined>();
          for (let i = 0; i < 4; i++) seen.add((await get(host, port, "/app/x")).target);
          return seen.has("flapping") && seen.has("stable") ? true : undefined;
        },
        { timeoutMs: 10_000, message: `both targets healthy through ${host}` },
      );
    const routesToFlapping = async (host: string) => {
      const answers = await Promise.all([0, 1, 2].map(() => get(host, port, "/app/x")));
      return answers.some((a) => a.target === "flapping");
    };
    const checksBefore = flapping.health.checks;
    const started = performance.now();
    // Failing for 3 s (two failed checks: unhealthy), then passing for 3 s (two passes: healthy again).
    const windowMs = 6500;
    flapping.health.status = 500;
    const flip = setInterval(() => {
      flapping.health.status = flapping.health.status === 200 ? 500 : 200;
    }, 3000);
    let samples = 0;
    let disagreements = 0;
    const views = new Set<string>();
    try {
      while (performance.now() - started < windowMs) {
        const [a, b] = await Promise.all(hosts.map(routesToFlapping));
        samples++;
        views.add(String(a));
        if (a !== b) {
          // A transition reaches both within milliseconds: only a disagreement that lasts counts.
          await new Promise((r) => setTimeout(r, 300));
          const [a2, b2] = await Promise.all(hosts.map(routesToFlapping));
          if (a2 !== b2) disagreements++;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      clearInterval(flip);
      flapping.health.status = 200;
    }
    const elapsed = performance.now() - started;
    const checks = flapping.health.checks - checksBefore;
    console.log(
      `flapping target: ${samples} samples, ${disagreements} lasting disagreements, ${checks} health checks in ${Math.round(elapsed)} ms (interval 1 s)`,
    );
    expect(views).toEqual(new Set(["true", "false"]));
    expect(disagreements).toBe(0);
    // One checker: about one check a second (two proxies each checking would be two).
    expect(checks).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 2);
    expect(checks).toBeGreaterThanOrEqual(Math.floor(elapsed / 1000) - 2);
  });

  it("when the lease holder dies, the other proxy takes the checks over once the lease expires", async () => {
    const holding = (p: RemoteProxyProcess) => {
      const lines = p
        .output()
        .split("\n")
        .filter((l) => l.includes("health-check lease"));
      return lines.at(-1)?.includes("holding the health-check lease") === true;
    };
    const holderIndex = proxies.findIndex(holding);
    const holder = proxies[holderIndex];
    const other = proxies[1 - holderIndex];
    if (!holder || !other)
      throw new Error(`no proxy holds the lease:\n${proxies.map((p) => p.output()).join("\n")}`);
    holder.child.kill("SIGKILL");
    const killedAt = performance.now();
    await eventually(() => (holding(other) ? true : undefined), {
      timeoutMs: 10_000,
      message: "the other proxy holding the lease",
    });
    const takeover = Math.round(performance.now() - killedAt);
    const checks = flapping.health.checks;
    await eventually(() => (flapping.health.checks >= checks + 2 ? true : undefined), {
      timeoutMs: 5000,
      message: "health checks from the new holder",
    });
    console.log(
      `lease holder killed: the other proxy took the checks over after ${takeover} ms (lease 1.5 s)`,
    );
    expect(takeover).toBeLessThan(5000);

    // Back to two proxies for the next test: the dead one starts again on its address.
    const host = hosts[holderIndex] ?? hosts[0];
    proxies[holderIndex] = spawnRemoteProxy(apiUrl, host, `proxy-${holderIndex + 2}-again`);
    await eventually(async () => ((await get(host, port, "/new1")).body === "rule 1" ? true : undefined), {
      timeoutMs: 20_000,
      message: `the proxy on ${host} serving again`,
    });
  });

  it("stopping the api leaves both serving their last configuration", async () => {
    await app.close();
    for (const host of hosts) {
      expect((await get(host, port, "/new1")).body).toBe("rule 1");
      expect((await get(host, port, "/")).body).toBe("default");
      expect((await get(host, port, "/app/x")).status).toBe(200);
    }
    // Still, a moment later: the lost stream and failing reports do not take a proxy down.
    await new Promise((r) => setTimeout(r, 1000));
    for (const [i, host] of hosts.entries()) {
      expect(proxies[i]?.child.exitCode).toBeNull();
      expect((await get(host, port, "/new1")).body).toBe("rule 1");
    }
  });
});
