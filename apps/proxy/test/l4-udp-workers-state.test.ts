import { createSocket } from "node:dgram";
import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createContext, createServices } from "@scaleout/services";
import { integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { forward, freePort, loopback } from "./helpers.ts";
import { askUntilAnswered, startUdpTarget, udpClient } from "./l4-udp-fixtures.ts";
import { spawnProxy } from "./proxy-process.ts";

// The owner alone serves UDP, yet the workers' listeners write network load balancers' states: the
// owner's UDP bind failures reach them through its syncs. And its flows follow the group's
// deregistration_delay.connection_termination.enabled (off: a flow outlives its target's delay).
test("with two workers: a UDP port the owner cannot bind impairs its load balancer; a flow outlives the delay with connection termination off", async ({
  dataDir,
}) => {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const target = await startUdpTarget("a", 1);
  const squatter = createSocket("udp4");
  await new Promise<void>((resolve) => squatter.bind(0, loopback, resolve));
  const taken = squatter.address().port;
  const lb = services.loadBalancers.create({ name: "dns", type: "network" }).loadBalancer.loadBalancerArn;
  const busy = services.loadBalancers.create({ name: "busy", type: "network" }).loadBalancer.loadBalancerArn;
  const group = (name: string) =>
    services.targetGroups.create({
      name,
      protocol: "UDP",
      port: 53,
      targetType: "ip",
      healthCheckProtocol: "TCP",
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 1,
      healthyThresholdCount: 2,
    }).targetGroup.targetGroupArn;
  const tgArn = group("dns-tg");
  const busyTgArn = group("busy-tg");
  services.targetGroups.modifyAttributes("dns-tg", [
    { key: "deregistration_delay.timeout_seconds", value: "1" },
    { key: "deregistration_delay.connection_termination.enabled", value: "false" },
  ]);
  services.targetGroups.register("dns-tg", [{ id: loopback, port: target.port }]);
  const port = await freePort();
  services.listeners.create(lb, {
    protocol: "UDP",
    port,
    defaultActions: forward(tgArn),
  });
  services.listeners.create(busy, {
    protocol: "UDP",
    port: taken,
    defaultActions: forward(busyTgArn),
  });
  const proxy = spawnProxy(dataDir);
  const client = await udpClient(port);
  try {
    const state = () => services.loadBalancers.get("busy").state;
    await proxy.until(
      () => (state()?.code === "active_impaired" ? true : undefined),
      () => `busy impaired (state ${JSON.stringify(state())})`,
    );
    expect(state()?.reason).toContain(`cannot bind ${loopback}:${taken}/udp: EADDRINUSE`);
    expect(services.loadBalancers.get("dns").state?.code).toBe("active");

    await proxy.until(
      () => (services.targetGroups.health("dns-tg")[0]?.targetHealth.state === "healthy" ? true : undefined),
      "target healthy",
    );
    await askUntilAnswered(client, 1);
    services.targetGroups.deregister("dns-tg", [{ id: loopback, port: target.port }]);
    await proxy.until(
      () => (services.targetGroups.health("dns-tg").length === 0 ? true : undefined),
      "the target left the group",
    );
    // Past the delay: the owner's flow still carries the client's queries, from the same flow socket.
    expect((await askUntilAnswered(client, 2)).address).toBe(target.address);
    expect(target.sources.size).toBe(1);
  } finally {
    client.close();
    squatter.close();
    await proxy.stop();
    await target.close();
    handle.close();
  }
  // A proxy process with two workers, started beside the system files, took 9-18 s to its first state in CI.
}, 120_000);
