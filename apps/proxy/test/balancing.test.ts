import { Agent } from "node:http";
import { type Candidate, HashRing } from "@scaleout/core";
import { describe, expect } from "vitest";
import { countByTarget, load, loopback, send, sleep, tally, proxyTest as test } from "./helpers.ts";

const algorithm = (type: string) => ({ "load_balancing.algorithm.type": type });

describe("algorithms", () => {
  test("round_robin alternates exactly", async ({ env }) => {
    const targets = await Promise.all([env.target("a"), env.target("b"), env.target("c")]);
    const { port } = await env.h.simple(targets, { attributes: algorithm("round_robin") });
    const order: string[] = [];
    for (let i = 0; i < 30; i++) order.push((await send(port)).target ?? "?");
    // Every window of three holds each target once, and the cycle repeats.
    for (let i = 0; i + 3 <= order.length; i++) expect(new Set(order.slice(i, i + 3)).size).toBe(3);
    expect(order.slice(3)).toEqual(order.slice(0, -3));
    expect(tally(order)).toEqual({ a: 10, b: 10, c: 10 });
  });

  test("least_outstanding_requests sends fewer requests to a slow target under concurrency", async ({
    env,
  }) => {
    const fast = await env.target("fast");
    const slow = await env.target("slow", { delayMs: 150 });
    const { port } = await env.h.simple([fast, slow], {
      attributes: algorithm("least_outstanding_requests"),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    env.defer(() => agent.destroy());
    const counts = countByTarget(await load(200, 8, () => send(port, "/", { agent })));
    console.info("least_outstanding_requests", counts);
    expect((counts.fast ?? 0) + (counts.slow ?? 0)).toBe(200);
    expect(counts.slow ?? 0).toBeLessThan((counts.fast ?? 0) / 4);
    expect(counts.slow ?? 0).toBeGreaterThan(0);
  });

  test("weighted_random spreads roughly evenly", async ({ env }) => {
    const targets = await Promise.all([env.target("a"), env.target("b")]);
    const { port } = await env.h.simple(targets, { attributes: algorithm("weighted_random") });
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    env.defer(() => agent.destroy());
    const counts = countByTarget(await load(400, 10, () => send(port, "/", { agent })));
    expect(counts.a ?? 0).toBeGreaterThan(150);
    expect(counts.b ?? 0).toBeGreaterThan(150);
    // Not round robin in disguise: the sequence is not a strict alternation.
    const order: string[] = [];
    for (let i = 0; i < 40; i++) order.push((await send(port, "/", { agent })).target ?? "?");
    expect(order.some((t, i) => i > 0 && t === order[i - 1])).toBe(true);
  });

  test("ip_hash: adding a target to N moves about 1/(N+1) of the clients, all onto the new one (HashRing)", () => {
    const ring = new HashRing();
    const candidate = (key: string): Candidate => ({ key, weight: 1, outstanding: 0, latency: 0 });
    const four = ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9004"].map(candidate);
    const five = [...four, candidate("127.0.0.1:9005")];
    const clients = Array.from(
      { length: 10_000 },
      (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    );
    const before = new Map(clients.map((c) => [c, ring.pick(four, c)?.key]));
    const spread = tally(clients.map((c) => before.get(c)));
    for (const share of Object.values(spread)) expect(share / clients.length).toBeGreaterThan(0.15);
    let moved = 0;
    for (const client of clients) {
      const after = ring.pick(five, client)?.key;
      if (after !== before.get(client)) {
        moved++;
        expect(after).toBe("127.0.0.1:9005");
      }
    }
    console.info(`ip_hash: ${moved} of ${clients.length} clients moved (ideal ${clients.length / 5})`);
    expect(moved / clients.length).toBeGreaterThan(0.12);
    expect(moved / clients.length).toBeLessThan(0.28);
  });

  test("ip_hash through the proxy: a client stays on its target; a new target takes only some clients", async ({
    env,
  }) => {
    const { h } = env;
    const targets = await Promise.all([env.target("a"), env.target("b"), env.target("c")]);
    const { port } = await h.simple(targets, { attributes: algorithm("ip_hash") });
    // 40 client addresses in 127.0.0.0/8: every one reaches the proxy over loopback from its own address.
    const clients = Array.from({ length: 40 }, (_, i) => `127.0.0.${10 + i}`);
    const placement = async () => {
      const map = new Map<string, string>();
      for (const client of clients) {
        const replies = await Promise.all([0, 1, 2].map(() => send(port, "/", { localAddress: client })));
        const seen = new Set(replies.map((r) => r.target));
        expect(seen.size, `client ${client} stays on one target`).toBe(1);
        map.set(client, replies[0]?.target ?? "?");
      }
      return map;
    };
    const before = await placement();
    expect(new Set(before.values()).size).toBeGreaterThan(1);
    const loopbackClient = new Set((await load(20, 4, () => send(port))).map((r) => r.target));
    expect(loopbackClient.size).toBe(1);

    const d = await env.target("d");
    h.services.targetGroups.register("tg", [{ id: loopback, port: d.port }]);
    await h.reload();
    await h.waitForState("tg", d.port, "healthy");
    const after = await placement();
    let moved = 0;
    for (const client of clients) {
      if (after.get(client) !== before.get(client)) {
        moved++;
        expect(after.get(client)).toBe("d");
      }
    }
    console.info(`ip_hash via proxy: ${moved} of ${clients.length} clients moved to the new target`);
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(clients.length / 2);
  });

  test("least_response_time sends clearly fewer requests to a slow target", async ({ env }) => {
    const fast = await env.target("fast");
    const slow = await env.target("slow", { delayMs: 80 });
    const { port } = await env.h.simple([fast, slow], { attributes: algorithm("least_response_time") });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    env.defer(() => agent.destroy());
    const counts = countByTarget(await load(120, 4, () => send(port, "/", { agent })));
    console.info("least_response_time", counts);
    expect((counts.fast ?? 0) + (counts.slow ?? 0)).toBe(120);
    expect(counts.slow ?? 0).toBeLessThan((counts.fast ?? 0) / 4);
  });

  test("slow start: a newly healthy target's share ramps up", async ({ env }) => {
    const { h } = env;
    const old = await env.target("old");
    const { port } = await h.simple([old], {
      attributes: { ...algorithm("round_robin"), "slow_start.duration_seconds": "1" },
    });
    // The first target's own ramp (it became healthy just now) is over after a second.
    await sleep(1100);

    const fresh = await env.target("new");
    h.services.targetGroups.register("tg", [{ id: loopback, port: fresh.port }]);
    await h.reload();
    // Detect the transition as soon as the proxy records it: slow start counts from that moment.
    const deadline = Date.now() + 5000;
    while (h.health("tg")[fresh.port]?.state !== "healthy" && Date.now() < deadline) await sleep(2);
    const healthyAt = Date.now();
    const early: string[] = [];
    while (Date.now() - healthyAt < 300) early.push((await send(port)).target ?? "?");
    await sleep(Math.max(0, healthyAt + 1200 - Date.now()));
    const late: string[] = [];
    for (let i = 0; i < 100; i++) late.push((await send(port)).target ?? "?");

    const share = (list: string[]) => list.filter((t) => t === "new").length / list.length;
    console.info(
      `slow start: new target's share ${share(early).toFixed(2)} in its first 300 ms (${early.length} requests), ${share(late).toFixed(2)} after the ramp`,
    );
    expect(early.length).toBeGreaterThan(20);
    expect(share(early)).toBeLessThan(0.25);
    expect(share(late)).toBeGreaterThan(0.4);
    expect(share(late)).toBeLessThan(0.6);
  });
});
