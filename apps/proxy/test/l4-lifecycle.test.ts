import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { createHarness, type Harness, loopback, proxyTest as test } from "./helpers.ts";
import { connectClient, greetedBy, networkLoadBalancer, startTcpTarget } from "./l4-tcp-fixtures.ts";
import { askUntilAnswered, startUdpTarget, udpClient, udpLoadBalancer } from "./l4-udp-fixtures.ts";

/** A harness of the test's own with a UDP target and a client, all closed after `run`. */
async function withUdpTarget(
  dataDir: string,
  run: (h: Harness, target: Awaited<ReturnType<typeof startUdpTarget>>) => Promise<void>,
): Promise<void> {
  const h = await createHarness(dataDir);
  const target = await startUdpTarget("t1", 1);
  try {
    await run(h, target);
  } finally {
    await h.close();
    await target.close().catch(() => {});
  }
}

// Listeners of network load balancers as they come and go: announced when bound, and a deleted
// listener's flows end rather than linger unswept.
describe.concurrent("network load balancer listeners, bound and deleted", () => {
  test("TCP, UDP and TCP_UDP listeners log `listener bound` as HTTP ones do (UDP sides with /udp)", async ({
    dataDir,
  }) => {
    await withUdpTarget(dataDir, async (h, t) => {
      const udp = await udpLoadBalancer(h, [t], { name: "dns" });
      const both = await udpLoadBalancer(h, [t], { name: "both", protocol: "TCP_UDP" });
      const tcp = await udpLoadBalancer(h, [t], { name: "tcp", protocol: "TCP" });
      const lines = (pattern: RegExp) => h.infos.filter((line) => pattern.test(line));
      expect(
        lines(new RegExp(`^listener bound: UDP ${loopback}:${udp.port}/udp \\(load balancer dns\\)$`)),
      ).toHaveLength(1);
      expect(
        lines(new RegExp(`^listener bound: TCP_UDP ${loopback}:${both.port} \\(load balancer both\\)$`)),
      ).toHaveLength(1);
      expect(
        lines(new RegExp(`^listener bound: TCP_UDP ${loopback}:${both.port}/udp \\(load balancer both\\)$`)),
      ).toHaveLength(1);
      expect(
        lines(new RegExp(`^listener bound: TCP ${loopback}:${tcp.port} \\(load balancer tcp\\)$`)),
      ).toHaveLength(1);
      // Once per binding, not once per reload.
      await h.reload();
      expect(lines(/^listener bound: /)).toHaveLength(4);
    });
  });

  test("a deleted TCP listener's open flow is reset both ways and forgotten", async ({ env }) => {
    const { h } = env;
    const target = await startTcpTarget("a");
    env.defer(() => target.close());
    const { port, listenerArn } = await networkLoadBalancer(h, [target]);
    const client = await connectClient(port);
    expect(greetedBy(await client.waitFor("\n"))).toBe("a");
    await eventually(() => target.open.size === 1 || undefined, { message: "the target's side open" });
    expect(h.proxy.tcpFlows()).toBe(1);

    h.services.listeners.delete(listenerArn);
    await h.reload();
    expect(await client.closed).toEqual({ reset: true });
    await eventually(() => target.open.size === 0 || undefined, { message: "the target's side reset" });
    expect(h.proxy.tcpFlows()).toBe(0);
    // The port is free: nothing answers on it any more.
    await expect(connectClient(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  test("a deleted UDP listener's flows are dropped", async ({ dataDir }) => {
    await withUdpTarget(dataDir, async (h, t) => {
      const { port, listenerArn } = await udpLoadBalancer(h, [t]);
      await h.waitForState("dns-tg", t.port, "healthy");
      const client = await udpClient(port);
      try {
        await askUntilAnswered(client, 1);
        expect(h.proxy.udp?.flows).toBe(1);
        h.services.listeners.delete(listenerArn);
        await h.reload();
        expect(h.proxy.udp?.flows).toBe(0);
        expect(await client.ask(2, 300)).toBeNull();
      } finally {
        client.close();
      }
    });
  });

  test("a UDP flow outlives its target's deregistration delay with connection_termination off", async ({
    dataDir,
  }) => {
    await withUdpTarget(dataDir, async (h, t) => {
      const { port } = await udpLoadBalancer(h, [t], {
        attributes: {
          "deregistration_delay.timeout_seconds": "1",
          "deregistration_delay.connection_termination.enabled": "false",
        },
      });
      await h.waitForState("dns-tg", t.port, "healthy");
      const client = await udpClient(port);
      try {
        await askUntilAnswered(client, 1);
        h.services.targetGroups.deregister("dns-tg", [{ id: loopback, port: t.port }]);
        await h.reload();
        await eventually(() => h.health("dns-tg")[t.port] === undefined || undefined, {
          timeoutMs: 10_000,
          message: "the target left the group",
        });
        // The flow goes on to the same target, from the same flow socket, until it idles out.
        expect((await askUntilAnswered(client, 2)).address).toBe(t.address);
        expect(h.proxy.udp?.flows).toBe(1);
        expect(t.sources.size).toBe(1);
      } finally {
        client.close();
      }
    });
  });
});
