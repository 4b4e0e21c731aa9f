import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { forward, freePort, loopback } from "./helpers.ts";
import { askUntilAnswered, startUdpTarget, udpClient } from "./l4-udp-fixtures.ts";
import { spawnProxy } from "./proxy-process.ts";

// The shipped proxy with two workers: UDP is served by one process (the owner), so each client's flow
// reaches its target from one socket (one source port), however many workers serve TCP and HTTP.
test("UDP through the proxy process with two workers: one flow socket per client, flows pinned", async ({
  dataDir,
}) => {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const targets = [await startUdpTarget("a", 1), await startUdpTarget("b", 2)];
  const lb = services.loadBalancers.create({ name: "dns", type: "network" }).loadBalancer.loadBalancerArn;
  const { targetGroup } = services.targetGroups.create({
    name: "dns-tg",
    protocol: "UDP",
    port: 53,
    targetType: "ip",
    healthCheckProtocol: "TCP",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
  });
  services.targetGroups.register(
    "dns-tg",
    targets.map((t) => ({ id: loopback, port: t.port })),
  );
  const port = await freePort();
  services.listeners.create(lb, {
    protocol: "UDP",
    port,
    defaultActions: forward(targetGroup.targetGroupArn),
  });
  const proxy = spawnProxy(dataDir);
  const clients = await Promise.all(Array.from({ length: 8 }, () => udpClient(port)));
  try {
    for (const t of targets)
      await proxy.until(
        () =>
          services.targetGroups.health("dns-tg").find((d) => d.target.port === t.port)?.targetHealth.state ===
          "healthy"
            ? true
            : undefined,
        `target ${t.name} healthy`,
      );
    const answeredBy = await Promise.all(
      clients.map(async (client, i) => {
        const seen = new Set<string>();
        for (let q = 0; q < 5; q++) seen.add((await askUntilAnswered(client, i * 10 + q)).address);
        return seen;
      }),
    );
    for (const seen of answeredBy) expect(seen.size).toBe(1);
    // Eight clients, eight flow sockets: no client reached a target from two processes' sockets.
    expect(targets.reduce((n, t) => n + t.sources.size, 0)).toBe(8);
  } finally {
    for (const client of clients) client.close();
    await proxy.stop();
    await Promise.all(targets.map((t) => t.close()));
    handle.close();
  }
});
