import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { loadBalancerDimension } from "../src/snapshot.ts";
import { createHarness, type Harness, loopback, readToClose, proxyTest as test } from "./helpers.ts";
import {
  askUntilAnswered,
  startUdpTarget,
  type UdpClient,
  type UdpTarget,
  udpClient,
  udpLoadBalancer,
} from "./l4-udp-fixtures.ts";

/** A harness of the test's own (UDP options), and targets, all closed after it. */
async function withUdp(
  dataDir: string,
  options: Parameters<typeof createHarness>[1],
  run: (
    h: Harness,
    targets: (n: number) => Promise<UdpTarget[]>,
    clients: (n: number, port: number) => Promise<UdpClient[]>,
  ) => Promise<void>,
): Promise<void> {
  const h = await createHarness(dataDir, options);
  const started: UdpTarget[] = [];
  const opened: UdpClient[] = [];
  try {
    await run(
      h,
      async (n) => {
        const list = await Promise.all(
          Array.from({ length: n }, (_, i) => startUdpTarget(`t${i + 1}`, i + 1)),
        );
        started.push(...list);
        return list;
      },
      async (n, port) => {
        const list = await Promise.all(Array.from({ length: n }, () => udpClient(port)));
        opened.push(...list);
        return list;
      },
    );
  } finally {
    for (const client of opened) client.close();
    await h.close();
    await Promise.all(started.map((t) => t.close().catch(() => {})));
  }
}

/** A metric's sum over the last five minutes in AWS/NetworkELB, by load balancer. */
function networkSum(h: Harness, metricName: string, lbArn: string): number {
  const now = Math.floor(Date.now() / 1000);
  const { datapoints } = h.services.metrics.statistics({
    namespace: "AWS/NetworkELB",
    metricName,
    dimensions: [{ name: "LoadBalancer", value: loadBalancerDimension(lbArn) }],
    startTime: now - 300,
    endTime: now + 60,
    period: 60,
    statistics: ["Sum"],
  });
  return datapoints.reduce((n, d) => n + (d.sum ?? 0), 0);
}

describe.concurrent("UDP listeners", () => {
  test("DNS queries through a UDP listener: ids echoed, each client's flow pinned, clients spread", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, {}, async (h, targets, clients) => {
      const list = await targets(3);
      const { port, lbArn } = await udpLoadBalancer(h, list);
      for (const t of list) await h.waitForState("dns-tg", t.port, "healthy");
      const many = await clients(12, port);
      const answeredBy = new Map<UdpClient, Set<string>>();
      for (const [i, client] of many.entries()) {
        const first = await askUntilAnswered(client, 1000 + i);
        expect(first.id).toBe(1000 + i);
        const seen = new Set([first.address]);
        for (let q = 1; q <= 4; q++) {
          const answer = await client.ask(1000 + i + q * 100);
          expect(answer?.id).toBe(1000 + i + q * 100);
          seen.add(answer?.address ?? "none");
        }
        answeredBy.set(client, seen);
      }
      // Pinned: every answer of one client came from one target.
      for (const seen of answeredBy.values()) expect(seen.size).toBe(1);
      // Spread: twelve flows over three targets land on at least two of them.
      const used = new Set([...answeredBy.values()].flatMap((s) => [...s]));
      expect(used.size).toBeGreaterThanOrEqual(2);
      // One flow socket per client: each target saw one source port per client it served.
      const sources = list.reduce((sum, t) => sum + t.sources.size, 0);
      expect(sources).toBe(12);
      expect(h.proxy.udp?.flows).toBe(12);
      expect(h.warnings).toEqual([]);
      // Counted in AWS/NetworkELB: twelve new UDP flows, and their bytes (flushed a second at a time, so
      // the last datagrams' bytes may land a flush after the flows).
      const bytes = 12 * 5 * 2 * 29;
      await eventually(
        () =>
          networkSum(h, "NewFlowCount_UDP", lbArn) === 12 &&
          networkSum(h, "ProcessedBytes_UDP", lbArn) > bytes
            ? true
            : undefined,
        {
          message: `NewFlowCount_UDP 12 and ProcessedBytes_UDP over ${bytes}`,
        },
      );
    });
  });

  test("a TCP_UDP listener serves both on one port: DNS over UDP, and a TCP flow, to the same group", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, {}, async (h, targets, clients) => {
      const list = await targets(2);
      const { port } = await udpLoadBalancer(h, list, { protocol: "TCP_UDP" });
      for (const t of list) await h.waitForState("dns-tg", t.port, "healthy");
      const [client] = await clients(1, port);
      if (!client) throw new Error("no client");
      const answer = await askUntilAnswered(client, 4242);
      expect(answer.id).toBe(4242);
      expect(list.map((t) => t.address)).toContain(answer.address);
      // The same port over TCP: a flow to one of the group's targets, which answers its name.
      const names = new Set<string>();
      for (let i = 0; i < 6; i++) names.add((await readToClose(connect(port, loopback))).trim());
      for (const name of names) expect(list.map((t) => t.name)).toContain(name);
      expect(h.proxy.boundPorts()).toContain(port);
      expect(h.proxy.udp?.boundPorts()).toContain(port);
    });
  });

  test("hostile datagrams and targets: empty, maximum size, answers from another port, a target gone", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, {}, async (h, targets, clients) => {
      const [t] = await targets(1);
      if (!t) throw new Error("no target");
      t.echo = true;
      const { port } = await udpLoadBalancer(h, [t]);
      await h.waitForState("dns-tg", t.port, "healthy");
      const [client] = await clients(1, port);
      if (!client) throw new Error("no client");
      await askUntilAnswered(client, 1);

      // An empty datagram and one of the largest size IPv4 carries pass as they are, both ways.
      client.send(Buffer.alloc(0));
      client.send(Buffer.alloc(65_507, 7));
      await eventually(() => (t.sizes.includes(0) && t.sizes.includes(65_507) ? true : undefined), {
        message: "both datagrams at the target",
      });
      await eventually(
        () =>
          client.replies.some((r) => r.length === 0) && client.replies.some((r) => r.length === 65_507)
            ? true
            : undefined,
        { message: "both echoed back" },
      );

      // A target answering from another port is not heard (the flow socket is connected), and no harm done.
      t.answerFromElsewhere = true;
      expect(await client.ask(2, 500)).toBeNull();
      t.answerFromElsewhere = false;
      expect((await client.ask(3))?.id).toBe(3);

      // The target goes away: its port answers ICMP unreachable, which ends the flow, not the proxy.
      const failedBefore = h.proxy.udp?.stats.flowsFailed ?? 0;
      await t.close();
      for (let i = 0; i < 5; i++) {
        client.send(Buffer.from("anyone?"));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await eventually(() => ((h.proxy.udp?.stats.flowsFailed ?? 0) > failedBefore ? true : undefined), {
        message: "the flow ended on ICMP unreachable",
      });
      // Still serving: a new target on a new group answers.
      const [fresh] = await targets(1);
      if (!fresh) throw new Error("no target");
      const second = await udpLoadBalancer(h, [fresh], { name: "dns2" });
      await h.waitForState("dns2-tg", fresh.port, "healthy");
      const [other] = await clients(1, second.port);
      if (!other) throw new Error("no client");
      expect((await askUntilAnswered(other, 9)).id).toBe(9);
    });
  });

  test("a UDP port that cannot be bound impairs its load balancer, and binds on a later reload", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, {}, async (h, targets) => {
      const [t] = await targets(1);
      if (!t) throw new Error("no target");
      // Someone else holds the UDP port the listener asks for.
      const squatter = createSocket("udp4");
      await new Promise<void>((resolve) => squatter.bind(0, loopback, resolve));
      const taken = squatter.address().port;
      const lbArn = h.services.loadBalancers.create({ name: "busy", type: "network" }).loadBalancer
        .loadBalancerArn;
      const tgArn = h.services.targetGroups.create({
        name: "busy-tg",
        protocol: "UDP",
        port: 53,
        targetType: "ip",
      }).targetGroup.targetGroupArn;
      h.services.listeners.create(lbArn, {
        protocol: "UDP",
        port: taken,
        defaultActions: [{ type: "forward", targetGroupArn: tgArn }],
      });
      await h.reload();
      const impaired = h.services.loadBalancers.get("busy").state;
      expect(impaired?.code).toBe("active_impaired");
      expect(impaired?.reason).toContain(`cannot bind ${loopback}:${taken}/udp: EADDRINUSE`);
      squatter.close();
      await h.reload();
      expect(h.proxy.udp?.boundPorts()).toContain(taken);
      expect(h.services.loadBalancers.get("busy").state.code).toBe("active");
    });
  });

  test("a deregistered target's flow lives through the deregistration delay, then ends", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, {}, async (h, targets, clients) => {
      const [t] = await targets(1);
      if (!t) throw new Error("no target");
      const { port } = await udpLoadBalancer(h, [t], {
        attributes: { "deregistration_delay.timeout_seconds": "2" },
      });
      await h.waitForState("dns-tg", t.port, "healthy");
      const [client] = await clients(1, port);
      if (!client) throw new Error("no client");
      await askUntilAnswered(client, 1);
      h.services.targetGroups.deregister("dns-tg", [{ id: loopback, port: t.port }]);
      const deregisteredAt = Date.now();
      await h.reload();
      expect(h.health("dns-tg")[t.port]?.state).toBe("draining");
      // The open flow keeps its target while the target drains.
      expect((await client.ask(2))?.id).toBe(2);
      await eventually(() => (h.proxy.udp?.flows === 0 ? true : undefined), {
        timeoutMs: 10_000,
        message: "the flow ended with the delay",
      });
      expect(Date.now() - deregisteredAt).toBeGreaterThanOrEqual(1_500);
      // No target left: a new datagram is dropped, not answered.
      expect(await client.ask(3, 300)).toBeNull();
    });
  });

  test("a flood of distinct sources: the flow table stays bounded, the oldest flows are evicted", async ({
    dataDir,
  }) => {
    await withUdp(dataDir, { udpFlowLimit: 8 }, async (h, targets, clients) => {
      const [t] = await targets(1);
      if (!t) throw new Error("no target");
      const { port } = await udpLoadBalancer(h, [t]);
      await h.waitForState("dns-tg", t.port, "healthy");
      const flood = await clients(40, port);
      for (const [i, client] of flood.entries()) await askUntilAnswered(client, i);
      expect(h.proxy.udp?.flows).toBe(8);
      expect(h.proxy.udp?.stats.flowsEvicted).toBe(32);
      // An evicted client simply opens a new flow with its next datagram.
      const [first] = flood;
      if (!first) throw new Error("no client");
      expect((await askUntilAnswered(first, 500)).id).toBe(500);
      expect(h.proxy.udp?.flows).toBe(8);
    });
  });

  test("a flow ends after NLB's 120 s UDP idle timeout (the clock moved, not waited)", async ({
    dataDir,
  }) => {
    let offset = 0;
    await withUdp(dataDir, { now: () => Date.now() + offset }, async (h, targets, clients) => {
      const [t] = await targets(1);
      if (!t) throw new Error("no target");
      const { port } = await udpLoadBalancer(h, [t]);
      await h.waitForState("dns-tg", t.port, "healthy");
      const [client] = await clients(1, port);
      if (!client) throw new Error("no client");
      await askUntilAnswered(client, 1);
      expect(h.proxy.udp?.flows).toBe(1);
      // 115 s on the clock plus the real time until a sweep has surely run (sweeps run every second):
      // still short of 120 s even when a loaded machine stretches the wait by seconds.
      offset += 115_000;
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(h.proxy.udp?.flows, "not yet idle for 120 s").toBe(1);
      offset += 5_000;
      await eventually(() => (h.proxy.udp?.flows === 0 ? true : undefined), { message: "the flow expired" });
      expect(h.proxy.udp?.stats.flowsExpired).toBe(1);
      // The client's next query opens a new flow: the target sees a new source port.
      await askUntilAnswered(client, 2);
      expect(t.sources.size).toBe(2);
    });
  });
});
