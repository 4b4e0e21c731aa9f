import { connect, type TLSSocket } from "node:tls";
import { eventually } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import { loadBalancerDimension } from "../src/snapshot.ts";
import { loopback, proxyTest as test } from "./helpers.ts";
import { greetedBy, networkLoadBalancer, startTcpTarget, wrapClient } from "./l4-tcp-fixtures.ts";
import { storeCertificate, TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());

/** A TLS client of the listener, trusting the test authority; answers once the handshake is done. */
async function tlsClient(port: number, options: { servername?: string; ALPNProtocols?: string[] } = {}) {
  const socket: TLSSocket = connect({
    port,
    host: loopback,
    ca: authority.certificatePem,
    servername: options.servername ?? "nlb.test",
    ...(options.ALPNProtocols && { ALPNProtocols: options.ALPNProtocols }),
  });
  const client = wrapClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  return { socket, client };
}

describe.concurrent("TLS listeners of network load balancers", () => {
  test("terminates TLS with the listener's certificate and forwards plain TCP; ALPN by policy", async ({
    env,
  }) => {
    const { h } = env;
    const target = await startTcpTarget("plain");
    env.defer(() => target.close());
    const cert = authority.issue(["nlb.test"]);
    const certificateArn = storeCertificate(h, cert);
    const { port, listenerArn } = await networkLoadBalancer(h, [target], {
      listener: { protocol: "TLS", certificateArn, alpnPolicy: "HTTP2Preferred" },
    });
    const { socket, client } = await tlsClient(port, { ALPNProtocols: ["http/1.1", "h2"] });
    expect(socket.getPeerCertificate().serialNumber).toBe(cert.serial);
    // HTTP2Preferred: the server's preference, h2, wins over the client's order.
    expect(socket.alpnProtocol).toBe("h2");
    expect(greetedBy(await client.waitFor("\n"))).toBe("plain");
    socket.write("over tls");
    await client.waitFor("over tls");
    socket.end();
    await client.waitFor("bye");

    for (const [policy, offered, chosen] of [
      ["HTTP1Only", ["h2", "http/1.1"], "http/1.1"],
      ["HTTP2Optional", ["h2", "http/1.1"], "http/1.1"],
      ["HTTP2Only", ["h2", "http/1.1"], "h2"],
      ["None", ["h2", "http/1.1"], false],
    ] as const) {
      h.services.listeners.modify(listenerArn, { alpnPolicy: [policy] });
      await h.reload();
      const next = await tlsClient(port, { ALPNProtocols: [...offered] });
      expect(next.socket.alpnProtocol, policy).toBe(chosen);
      expect(greetedBy(await next.client.waitFor("\n"))).toBe("plain");
      next.socket.destroy();
    }
  });

  test("a TLS target group gets a TLS connection (not verified, as NLB); failed handshakes are counted", async ({
    env,
  }) => {
    const { h } = env;
    const targetCert = authority.issue(["target.internal"]);
    const target = await startTcpTarget("secure", {
      tls: { key: targetCert.privateKeyPem, cert: targetCert.certificatePem },
    });
    env.defer(() => target.close());
    const certificateArn = storeCertificate(h, authority.issue(["nlb.test"]));
    const { port, lbArn } = await networkLoadBalancer(h, [target], {
      listener: { protocol: "TLS", certificateArn },
      targetProtocol: "TLS",
    });
    const { socket, client } = await tlsClient(port);
    expect(greetedBy(await client.waitFor("\n"))).toBe("secure");
    socket.write("twice encrypted");
    await client.waitFor("twice encrypted");
    socket.destroy();

    // A client that speaks no TLS: its handshake fails, and the load balancer counts it.
    const { connect: plainConnect } = await import("node:net");
    const plain = plainConnect({ port, host: loopback });
    plain.on("error", () => {});
    plain.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((resolve) => plain.once("close", resolve));
    const dimension = loadBalancerDimension(lbArn);
    await eventually(
      () => {
        const now = Math.floor(Date.now() / 1000);
        const { datapoints } = h.services.metrics.statistics({
          namespace: "AWS/NetworkELB",
          metricName: "ClientTLSNegotiationErrorCount",
          dimensions: [{ name: "LoadBalancer", value: dimension }],
          startTime: now - 300,
          endTime: now + 60,
          period: 60,
          statistics: ["Sum"],
        });
        return datapoints.some((d) => (d.sum ?? 0) >= 1) || undefined;
      },
      { message: "ClientTLSNegotiationErrorCount" },
    );
  });
});
