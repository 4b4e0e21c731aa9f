import { Agent } from "node:http";
import { createServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterAll, describe, expect } from "vitest";
import { fastHealthCheck, forward, load, loopback, send, proxyTest as test } from "./helpers.ts";
import { TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());

interface HttpsTarget {
  port: number;
  /** TLS connections the proxy opened, and how many of them resumed a session. */
  handshakes: number;
  resumed: number;
  requests: Array<{ url: string; protocol: string | null; forwardedProto: string | undefined }>;
  healthChecks: number;
  close(): Promise<void>;
}

/** A target that speaks only HTTPS, with a certificate no one trusts (ALB does not verify targets). */
async function startHttpsTarget(): Promise<HttpsTarget> {
  const cert = authority.issue(["target.internal"]);
  const server = createServer({
    cert: cert.certificatePem,
    key: cert.privateKeyPem,
    keepAliveTimeout: 30_000,
  });
  const target: HttpsTarget = {
    port: 0,
    handshakes: 0,
    resumed: 0,
    requests: [],
    healthChecks: 0,
    close: async () => {},
  };
  server.on("secureConnection", (socket: TLSSocket) => {
    target.handshakes++;
    if (socket.isSessionReused()) target.resumed++;
  });
  server.on("request", (req, res) => {
    if (req.url === "/health") target.healthChecks++;
    else
      target.requests.push({
        url: req.url ?? "",
        protocol: (req.socket as TLSSocket).getProtocol(),
        forwardedProto:
          typeof req.headers["x-forwarded-proto"] === "string" ? req.headers["x-forwarded-proto"] : undefined,
      });
    res.writeHead(200, { "content-type": "text/plain", "x-target": "tls" });
    res.end("over tls");
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  target.port = typeof address === "object" && address ? address.port : 0;
  target.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return target;
}

describe("HTTPS target groups", () => {
  test("forward over TLS without verifying the target, on kept-alive connections", async ({ env }) => {
    const { h } = env;
    const target = await startHttpsTarget();
    env.defer(() => target.close());
    const lb = h.loadBalancer();
    const { targetGroup } = h.services.targetGroups.create({
      name: "secure",
      protocol: "HTTPS",
      port: 443,
      targetType: "ip",
      ...fastHealthCheck,
    });
    h.services.targetGroups.register("secure", [{ id: loopback, port: target.port }]);
    const { port } = await h.listener(lb, forward(targetGroup.targetGroupArn));
    await h.reload();
    // The HTTPS health check passes against a target that answers only TLS.
    await h.waitForState("secure", target.port, "healthy");
    expect(target.healthChecks).toBeGreaterThanOrEqual(1);

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    env.defer(() => agent.destroy());
    const replies = await load(200, 4, (i) => send(port, `/item/${i}`, { agent }));
    expect(replies.every((r) => r.status === 200 && r.body === "over tls")).toBe(true);
    expect(target.requests).toHaveLength(200);
    expect(target.requests[0]?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(target.requests[0]?.forwardedProto).toBe("http");
    // Pooled: far fewer handshakes than requests (4 at a time, plus the checks' own connections).
    const trafficHandshakes = target.handshakes - target.healthChecks;
    expect(trafficHandshakes).toBeLessThanOrEqual(8);
  });

  test("a target that does not speak TLS fails its HTTPS health check and its requests get 502", async ({
    env,
  }) => {
    const { h } = env;
    const plain = await env.target("plain");
    const lb = h.loadBalancer();
    const { targetGroup } = h.services.targetGroups.create({
      name: "secure",
      protocol: "HTTPS",
      port: 443,
      targetType: "ip",
      ...fastHealthCheck,
    });
    h.services.targetGroups.register("secure", [{ id: loopback, port: plain.port }]);
    const { port } = await h.listener(lb, forward(targetGroup.targetGroupArn));
    await h.reload();
    await h.waitForState("secure", plain.port, "unhealthy");
    // All targets unhealthy: ALB fails open and tries it anyway; the handshake fails, 502.
    expect((await send(port, "/")).status).toBe(502);
  });
});
