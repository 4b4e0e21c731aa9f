import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { loadBalancerDimension } from "../src/snapshot.ts";
import { forward, freePort, loopback } from "./helpers.ts";
import { connectClient, greetedBy, startTcpTarget } from "./l4-tcp-fixtures.ts";
import { spawnProxy } from "./proxy-process.ts";

// The shipped proxy with two workers: every worker binds the TCP listener and routes flows on the
// owner's health view; each worker's flow counts reach the owner, which alone writes AWS/NetworkELB.
test("TCP through the proxy process with two workers: flows echo and stay pinned, counted once by the owner", async ({
  dataDir,
}) => {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const targets = await Promise.all(["a", "b"].map((n) => startTcpTarget(n)));
  const lb = services.loadBalancers.create({ name: "tcp", type: "network" }).loadBalancer.loadBalancerArn;
  const { targetGroup } = services.targetGroups.create({
    name: "tcp-tg",
    protocol: "TCP",
    port: 80,
    targetType: "ip",
    healthCheckProtocol: "TCP",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
  });
  services.targetGroups.register(
    "tcp-tg",
    targets.map((t) => ({ id: loopback, port: t.port })),
  );
  const port = await freePort();
  services.listeners.create(lb, {
    protocol: "TCP",
    port,
    defaultActions: forward(targetGroup.targetGroupArn),
  });
  const proxy = spawnProxy(dataDir);
  try {
    for (const t of targets)
      await proxy.until(
        () =>
          services.targetGroups.health("tcp-tg").find((d) => d.target.port === t.port)?.targetHealth.state ===
          "healthy"
            ? true
            : undefined,
        `target ${t.name} healthy`,
      );
    // The owner's checks may pass before the workers have bound the listener.
    await proxy.until(async () => {
      try {
        const probe = await connectClient(port);
        await probe.waitFor("\n");
        probe.socket.end();
        await probe.closed;
        return true;
      } catch {
        return undefined;
      }
    }, "the listener serving");
    const flows = 16;
    const names = new Set<string | undefined>();
    for (let i = 0; i < flows; i++) {
      const client = await connectClient(port);
      names.add(greetedBy(await client.waitFor("\n")));
      client.socket.write(`m${i}`);
      await client.waitFor(`m${i}`);
      client.socket.end();
      await client.waitFor("bye");
      await client.closed;
    }
    expect(names).toEqual(new Set(["a", "b"]));
    const total = () => {
      const now = Math.floor(Date.now() / 1000);
      const { datapoints } = services.metrics.statistics({
        namespace: "AWS/NetworkELB",
        metricName: "NewFlowCount",
        dimensions: [{ name: "LoadBalancer", value: loadBalancerDimension(lb) }],
        startTime: now - 300,
        endTime: now + 60,
        period: 60,
        statistics: ["Sum"],
      });
      return datapoints.reduce((n, d) => n + (d.sum ?? 0), 0);
    };
    await eventually(() => (total() >= flows + 1 ? true : undefined), {
      timeoutMs: 10_000,
      message: `NewFlowCount ${flows + 1} (so far ${total()})`,
    });
    // The probe's flow and the 16, each counted once whichever worker served it.
    expect(total()).toBe(flows + 1);
  } finally {
    await proxy.stop();
    await Promise.all(targets.map((t) => t.close()));
    handle.close();
  }
});
