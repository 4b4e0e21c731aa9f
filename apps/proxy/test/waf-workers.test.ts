import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { fastHealthCheck, forward, freePort, loopback, type Reply, send, startTarget } from "./helpers.ts";
import { spawnProxy } from "./proxy-process.ts";
import { associate, insertWebAcl, visibility } from "./waf-fixtures.ts";

const workerOf = (reply: Reply) => String(reply.headers["x-scaleout-worker"] ?? "-");

/*
 * A rate-based rule with the proxy's two worker processes: each counts what it serves, and the owner sums
 * their counts and tells them the keys over the limit. A client whose connections land on both workers is
 * blocked once its total passes the limit, though neither worker alone has seen that many.
 */
test("with two workers, a key is blocked on its total over both workers", async ({ dataDir }) => {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const target = await startTarget("a");
  const lb = services.loadBalancers.create({ name: "web" }).loadBalancer.loadBalancerArn;
  const { targetGroup } = services.targetGroups.create({
    name: "tg",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    ...fastHealthCheck,
  });
  services.targetGroups.register("tg", [{ id: loopback, port: target.port }]);
  const port = await freePort();
  services.listeners.create(lb, {
    protocol: "HTTP",
    port,
    defaultActions: forward(targetGroup.targetGroupArn),
  });
  const limit = 50;
  const acl = insertWebAcl(handle.db, "shield", [
    {
      Name: "flood",
      Priority: 1,
      Statement: { RateBasedStatement: { Limit: limit, EvaluationWindowSec: 60, AggregateKeyType: "IP" } },
      Action: { Block: {} },
      VisibilityConfig: visibility("flood"),
    },
  ]);
  associate(handle.db, acl, lb);
  const proxy = spawnProxy(dataDir);
  try {
    // Both workers bound and serving. Each attempt comes from an address of its own (127.0.4.N): its
    // requests count for it alone. From one address, a worker that binds a second late would see the
    // first worker's count for it pass the limit, and every later probe would be blocked.
    let attempt = 0;
    await proxy.until(async () => {
      const localAddress = `127.0.4.${(attempt++ % 250) + 1}`;
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => send(port, "/", { localAddress }).catch(() => undefined)),
      );
      return replies.every((r) => r?.status === 200) &&
        new Set(replies.map((r) => r && workerOf(r))).size === 2
        ? true
        : undefined;
    }, "two workers answering");
    // 70 requests on new connections from 127.0.0.2: over the limit in total, under it on either worker.
    const first: Reply[] = [];
    for (let i = 0; i < limit + 20; i++) first.push(await send(port, "/", { localAddress: "127.0.0.2" }));
    const byWorker = new Map<string, number>();
    for (const r of first) byWorker.set(workerOf(r), (byWorker.get(workerOf(r)) ?? 0) + 1);
    expect(byWorker.size).toBe(2);
    for (const count of byWorker.values()) expect(count).toBeLessThan(limit);
    // Within a second or two the owner's verdict reaches both workers.
    const started = Date.now();
    let extra = 0;
    await eventually(
      async () => {
        extra++;
        return (await send(port, "/", { localAddress: "127.0.0.2" })).status === 403 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, message: "the flood blocked on its total" },
    );
    const blockedAfterMs = Date.now() - started;
    // Both workers refuse it now; another client is still served.
    const after = await Promise.all(
      Array.from({ length: 10 }, () => send(port, "/", { localAddress: "127.0.0.2" })),
    );
    expect(after.map((r) => r.status)).toEqual(new Array(10).fill(403));
    expect((await send(port, "/", { localAddress: "127.0.0.3" })).status).toBe(200);
    // What got through beyond the limit, for the report: the sharing delay's cost.
    process.stderr.write(
      `waf-workers: ${first.filter((r) => r.status === 200).length + extra - 1} of ${limit + 20 + extra} requests passed (limit ${limit}); blocked ${blockedAfterMs} ms after the first pass over the limit\n`,
    );
  } finally {
    await proxy.stop();
    await target.close();
    handle.close();
  }
});
