import { Agent } from "node:http";
import { createServer } from "node:net";
import { readConfigVersion } from "@scaleout/db";
import { closeQueues, createQueues, createRedis, createRedisEvents } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { watchConfiguration } from "../src/watch.ts";
import {
  countByTarget,
  createHarness,
  forward,
  freePort,
  loopback,
  type Reply,
  send,
  sleep,
  proxyTest as test,
} from "./helpers.ts";

const fixed = (body: string) => [
  {
    type: "fixed-response" as const,
    fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: body },
  },
];

/** Polls the listener until `path` answers `body`; answers how long that took from `since`. */
async function timeUntilServed(port: number, path: string, body: string, since: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (;;) {
      const reply = await send(port, path, { agent });
      if (reply.body === body) return Date.now() - since;
      if (Date.now() - since > 10_000) throw new Error(`${path} never answered ${body}`);
      await sleep(2);
    }
  } finally {
    agent.destroy();
  }
}

describe("configuration changes", () => {
  test("under load (2,000 requests, 20 at a time): add a rule, add and remove targets, modify attributes; no request fails", async ({
    env,
  }) => {
    const { h } = env;
    const [a, b, c, d] = await Promise.all([
      env.target("a"),
      env.target("b"),
      env.target("c"),
      env.target("d"),
    ]);
    const { port, listenerArn } = await h.simple([a, b], {
      attributes: { "deregistration_delay.timeout_seconds": "1" },
    });
    const tgNew = h.targetGroup("tg-new", [d]);

    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    env.defer(() => agent.destroy());
    const total = 2000;
    const replies: Array<Reply & { path: string; sentAt: number }> = [];
    const failures: string[] = [];
    let issued = 0;
    let ruleAt = Number.POSITIVE_INFINITY;
    const worker = async () => {
      while (issued < total) {
        const i = issued++;
        const path = i % 2 === 0 ? "/" : "/new/x";
        const sentAt = Date.now();
        try {
          replies.push({ ...(await send(port, path, { agent })), path, sentAt });
        } catch (error) {
          failures.push(`${path}: ${String(error)}`);
        }
      }
    };
    const changes = (async () => {
      const at = async (n: number) => {
        while (replies.length + failures.length < n) await sleep(5);
      };
      await at(300);
      h.services.rules.create(listenerArn, {
        priority: 1,
        conditions: [{ field: "path-pattern", values: ["/new/*"] }],
        actions: forward(tgNew),
      });
      await h.reload();
      ruleAt = Date.now();
      await at(600);
      h.services.targetGroups.register("tg", [{ id: loopback, port: c.port }]);
      await h.reload();
      await at(900);
      h.services.targetGroups.modifyAttributes("tg", [
        { key: "load_balancing.algorithm.type", value: "least_outstanding_requests" },
        { key: "stickiness.enabled", value: "true" },
      ]);
      await h.reload();
      await at(1200);
      h.services.targetGroups.deregister("tg", [{ id: loopback, port: a.port }]);
      await h.reload();
      return Date.now();
    })();
    const started = Date.now();
    await Promise.all([...Array.from({ length: 20 }, worker), changes]);
    const deregisteredAt = await changes;
    console.info(`${total} requests under configuration changes in ${Date.now() - started} ms`);

    expect(failures).toEqual([]);
    expect(replies).toHaveLength(total);
    const statuses = countByTarget(replies.filter((r) => r.status < 200 || r.status >= 300));
    expect(statuses, "every request answered 2xx").toEqual({});

    // The rule took effect: every /new/x request sent after it was loaded went to the new group.
    const afterRule = replies.filter((r) => r.path === "/new/x" && r.sentAt > ruleAt);
    expect(afterRule.length).toBeGreaterThan(500);
    expect(countByTarget(afterRule)).toEqual({ d: afterRule.length });
    // The new target took traffic, the removed one stopped.
    expect(c.hits).toBeGreaterThan(50);
    const afterDeregister = replies.filter((r) => r.path === "/" && r.sentAt > deregisteredAt + 50);
    expect(afterDeregister.some((r) => r.target === "a")).toBe(false);
    await eventually(() => (h.health("tg")[a.port] === undefined ? true : undefined), { timeoutMs: 3000 });
  });

  test("rules modified, reordered and deleted, listeners moved and deleted: each takes effect on reload", async ({
    env,
  }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const listener = await h.listener(lb, fixed("default"));
    const first = h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/x"] }],
      actions: fixed("first"),
    });
    const second = h.services.rules.create(listener.arn, {
      priority: 2,
      conditions: [{ field: "path-pattern", values: ["/x", "/y"] }],
      actions: fixed("second"),
    });
    await h.reload();
    expect((await send(listener.port, "/x")).body).toBe("first");
    expect((await send(listener.port, "/y")).body).toBe("second");

    h.services.rules.setPriorities(listener.arn, [
      { ruleArn: first.ruleArn, priority: 2 },
      { ruleArn: second.ruleArn, priority: 1 },
    ]);
    await h.reload();
    expect((await send(listener.port, "/x")).body).toBe("second");

    h.services.rules.modify(second.ruleArn, { conditions: [{ field: "path-pattern", values: ["/y"] }] });
    await h.reload();
    expect((await send(listener.port, "/x")).body).toBe("first");

    h.services.rules.delete(first.ruleArn);
    h.services.listeners.modify(listener.arn, { defaultActions: fixed("new default") });
    await h.reload();
    expect((await send(listener.port, "/x")).body).toBe("new default");

    const moved = await freePort();
    h.services.listeners.modify(listener.arn, { port: moved });
    await h.reload();
    expect((await send(moved, "/y")).body).toBe("second");
    await expect(send(listener.port, "/y")).rejects.toThrow(/ECONNREFUSED/);

    h.services.listeners.delete(listener.arn);
    await h.reload();
    await expect(send(moved, "/y")).rejects.toThrow(/ECONNREFUSED/);
    expect(h.proxy.boundPorts()).toEqual([]);
  });

  test("through Redis: a committed rule serves within 100 ms", async ({ dataDir, redisUrl, prefix, env }) => {
    const redis = createRedis(redisUrl, "producer");
    env.defer(() => redis.quit());
    redis.on("error", () => {});
    if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
    const queues = createQueues(redis, { prefix });
    env.defer(() => closeQueues(queues));
    const warnings: string[] = [];
    const events = createRedisEvents(redis, queues, prefix, (_error, message) => warnings.push(message));
    const h = await createHarness(`${dataDir}/redis`, { events });
    env.defer(() => h.close());
    const watcher = watchConfiguration({
      db: h.proxyHandle.db,
      redisUrl,
      prefix,
      // Polling would pick the change up within a minute only: what is measured is the notification.
      pollMs: 60_000,
      current: () => h.proxy.version,
      reload: () => h.proxy.reload(),
      log: { warn: () => {} },
    });
    env.defer(() => watcher.close());

    const lb = h.loadBalancer();
    const listener = await h.listener(lb, fixed("default"));
    // The subscription is live once a change reaches the proxy without a reload of our own.
    await eventually(() => (h.proxy.boundPorts().includes(listener.port) ? true : undefined), {
      message: `the listener bound through a notification (warnings: ${warnings.join("; ")})`,
    });
    expect(await timeUntilServed(listener.port, "/", "default", Date.now())).toBeLessThan(1000);

    const measured: number[] = [];
    for (const [i, path] of ["/fresh", "/second", "/third"].entries()) {
      const committedAt = Date.now();
      h.services.rules.create(listener.arn, {
        priority: i + 1,
        conditions: [{ field: "path-pattern", values: [path] }],
        actions: fixed(`rule ${path}`),
      });
      measured.push(await timeUntilServed(listener.port, path, `rule ${path}`, committedAt));
    }
    console.info(`rule commit → served through Redis: ${measured.join(", ")} ms`);
    expect(h.proxy.version).toBe(readConfigVersion(h.handle.db));
    // 100 ms is the target; the margin is for a busy 2-core CI machine.
    expect(Math.min(...measured)).toBeLessThan(100);
    expect(Math.max(...measured)).toBeLessThan(250);
  });

  test("without Redis, polling picks a change up within ~1.5 s; an unreachable Redis changes nothing", async ({
    env,
    dataDir,
  }) => {
    const deadRedis = `redis://${loopback}:${await freePort()}`;
    for (const [label, redisUrl] of [
      ["no Redis", undefined],
      ["Redis down", deadRedis],
    ] as const) {
      const h = await createHarness(`${dataDir}/${label.replace(" ", "-")}`);
      env.defer(() => h.close());
      const lb = h.loadBalancer();
      const listener = await h.listener(lb, fixed("default"));
      await h.reload();
      const warned: string[] = [];
      const watcher = watchConfiguration({
        db: h.proxyHandle.db,
        redisUrl,
        prefix: "unused",
        current: () => h.proxy.version,
        reload: () => h.proxy.reload(),
        log: { warn: (message: string) => warned.push(message) },
      });
      env.defer(() => watcher.close());
      await sleep(100);
      const committedAt = Date.now();
      h.services.rules.create(listener.arn, {
        priority: 1,
        conditions: [{ field: "path-pattern", values: ["/polled"] }],
        actions: fixed("polled"),
      });
      const elapsed = await timeUntilServed(listener.port, "/polled", "polled", committedAt);
      console.info(`${label}: rule served after ${elapsed} ms by polling`);
      expect(elapsed).toBeLessThan(1600);
      if (redisUrl) expect(warned.join("\n")).toMatch(/Redis unavailable/);
    }
  });

  test("an unreadable registry: reload() fails and the last configuration keeps serving", async ({ env }) => {
    const { h } = env;
    const a = await env.target("a");
    const { port, listenerArn } = await h.simple([a]);
    h.services.rules.create(listenerArn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/fixed"] }],
      actions: fixed("fixed"),
    });
    await h.reload();
    h.proxyHandle.close();
    expect(await h.proxy.reload()).toBe(false);
    expect(h.warnings.some((w) => String(w[0]).includes("serving the last configuration"))).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect((await send(port)).target).toBe("a");
      expect((await send(port, "/fixed")).body).toBe("fixed");
    }
    // Health checks and metrics cannot be written meanwhile; nothing breaks.
    await sleep(1200);
    expect((await send(port)).status).toBe(200);
  });

  test("load balancer state: provisioning, then active once its listeners are bound; active_impaired when one cannot bind", async ({
    env,
  }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    expect(h.services.loadBalancers.get("web").state.code).toBe("provisioning");
    const listener = await h.listener(lb, fixed("up"));
    expect(h.services.loadBalancers.get("web").state.code).toBe("provisioning");
    await h.reload();
    expect(h.proxy.boundPorts()).toContain(listener.port);
    expect(h.services.loadBalancers.get("web").state.code).toBe("active");
    expect((await send(listener.port)).body).toBe("up");

    // A port someone else holds: the listener cannot bind.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, loopback, resolve));
    const address = squatter.address();
    const taken = typeof address === "object" && address ? address.port : 0;
    env.defer(() => new Promise((resolve) => squatter.close(resolve)));
    h.services.listeners.create(lb, { protocol: "HTTP", port: taken, defaultActions: fixed("second") });
    await h.reload();
    expect(h.services.loadBalancers.get("web").state).toEqual({
      code: "active_impaired",
      reason: `Listener on port ${taken} cannot bind ${loopback}:${taken}: EADDRINUSE`,
    });
    expect(h.warnings.some((w) => String(w[0]).includes("cannot bind"))).toBe(true);
    expect((await send(listener.port)).body).toBe("up");

    // Once the port is free, the next reload binds it.
    await new Promise((resolve) => squatter.close(resolve));
    await h.reload();
    expect(h.services.loadBalancers.get("web").state).toEqual({ code: "active" });
    expect((await send(taken)).body).toBe("second");
  });
});
