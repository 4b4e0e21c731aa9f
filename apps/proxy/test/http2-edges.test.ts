import { constants } from "node:http2";
import { connect as tlsConnect } from "node:tls";
import { eventually, integrationTest } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import {
  createHarness,
  forward,
  loopback,
  type ProxyEnv,
  startTarget,
  proxyTest as test,
} from "./helpers.ts";
import { closeSession, h2connect, h2request } from "./http2-fixtures.ts";
import { httpsListener, storeCertificate, TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());
const ca = authority.certificatePem;
const host = "www.example.test";

/** Two targets behind an HTTPS listener; the load balancer's and the group's attributes as given. */
async function setup(
  env: ProxyEnv,
  options: { lb?: Record<string, string>; group?: Record<string, string> } = {},
) {
  const { h } = env;
  const a = await env.target("a");
  const b = await env.target("b");
  const lb = h.loadBalancer();
  const lbAttributes = Object.entries(options.lb ?? {}).map(([key, value]) => ({ key, value }));
  if (lbAttributes.length > 0) h.services.loadBalancers.modifyAttributes(lb, lbAttributes);
  const tg = h.targetGroup("tg", [{ port: a.port }, { port: b.port }], {
    ...(options.group && { attributes: options.group }),
  });
  const certArn = storeCertificate(h, authority.issue([host]));
  const listener = await httpsListener(h, lb, certArn, forward(tg));
  await h.reload();
  await h.waitForState("tg", a.port, "healthy");
  await h.waitForState("tg", b.port, "healthy");
  return { a, b, port: listener.port, listenerArn: listener.arn };
}

describe("HTTP/2 edges", () => {
  test("a removed listener sends GOAWAY: the request in flight finishes, the connection ends", async ({
    env,
  }) => {
    const { h } = env;
    const { a, b, port, listenerArn } = await setup(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
    const held = h2request(session, "/hold");
    await eventually(() => (a.held + b.held === 1 ? true : undefined), { message: "the request held" });

    h.services.listeners.delete(listenerArn);
    await h.reload();
    expect(await goaway).toBe(constants.NGHTTP2_NO_ERROR);
    a.release();
    b.release();
    expect((await held).status).toBe(200);
    await eventually(() => (session.closed || session.destroyed ? true : undefined), {
      message: "the connection closed after its last stream",
    });
  });

  test("header limits apply as to HTTP/1.1: an oversized field is answered 431", async ({ env }) => {
    const { port } = await setup(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const big = await h2request(session, "/", { headers: { "x-big": "x".repeat(20 * 1024) } });
    expect(big.status).toBe(431);
    expect(big.headers.server).toBe("awselb/2.0");
    // The connection goes on: only that request was refused.
    expect((await h2request(session, "/")).status).toBe(200);
    // Many small fields are within the limits, as over HTTP/1.1.
    const fields: Record<string, string> = {};
    for (let i = 0; i < 300; i++) fields[`x-field-${i}`] = "v";
    expect((await h2request(session, "/", { headers: fields })).status).toBe(200);
  });

  test("a request body that stalls past idle_timeout + 1 s is cancelled, that stream alone", async ({
    env,
  }) => {
    const { a, b, port } = await setup(env, { lb: { "idle_timeout.timeout_seconds": "1" } });
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const stalled = session.request({ ":method": "POST", ":path": "/upload" }, { endStream: false });
    stalled.write("the start of a body that never ends");
    const reset = await new Promise<number>((resolve) => {
      stalled.on("error", () => {});
      stalled.on("close", () => resolve(stalled.rstCode));
    });
    expect(reset).toBe(constants.NGHTTP2_CANCEL);
    expect(a.hits + b.hits).toBe(0);
    // Nothing moved on the connection for idle_timeout either: it got GOAWAY. A new one is served.
    expect(session.closed || session.destroyed).toBe(true);
    const again = await h2connect(port, ca, host);
    env.defer(() => closeSession(again));
    expect((await h2request(again, "/")).status).toBe(200);
  });

  test("lb_cookie stickiness pins an HTTP/2 client as it pins an HTTP/1.1 one", async ({ env }) => {
    const { port } = await setup(env, {
      group: {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "120",
      },
    });
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const first = await h2request(session, "/");
    const setCookie = [first.headers["set-cookie"] ?? []].flat();
    const sticky = setCookie.find((c) => c.startsWith("AWSALB="))?.split(";")[0];
    expect(sticky).toMatch(/^AWSALB=.+/);
    const pinned = await Promise.all(
      Array.from({ length: 10 }, () => h2request(session, "/", { headers: { cookie: `${sticky}` } })),
    );
    expect(new Set(pinned.map((r) => r.target))).toEqual(new Set([first.target]));
  });

  test("garbage after ALPN h2 ends that connection only", async ({ env }) => {
    const { port } = await setup(env);
    for (const junk of [
      "GET / HTTP/1.1\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff",
    ]) {
      const socket = tlsConnect({
        host: loopback,
        port,
        ca,
        servername: host,
        ALPNProtocols: ["h2"],
        checkServerIdentity: () => undefined,
      });
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
      expect(socket.alpnProtocol).toBe("h2");
      socket.write(Buffer.from(junk, "latin1"));
      // Read what the proxy answers (its GOAWAY): an unread socket never reports its close.
      socket.resume();
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    }
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    expect((await h2request(session, "/")).status).toBe(200);
  });

  test("HTTP/1.1 upgrades (WebSocket) still tunnel on an HTTPS listener that offers h2", async ({ env }) => {
    const { port } = await setup(env);
    const socket = tlsConnect({
      host: loopback,
      port,
      ca,
      servername: host,
      ALPNProtocols: ["http/1.1"],
      checkServerIdentity: () => undefined,
    });
    env.defer(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => resolve());
      socket.once("error", reject);
    });
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    await eventually(() => (received.includes("\r\n\r\n") ? true : undefined), { message: "the 101" });
    expect(received.startsWith("HTTP/1.1 101")).toBe(true);
    // The target echoes every byte of the tunnel.
    const before = received.length;
    socket.write("ping over tls");
    await eventually(() => (received.slice(before).includes("ping over tls") ? true : undefined), {
      message: "the echo through the tunnel",
    });
  });

  integrationTest(
    "client_keep_alive.seconds: an HTTP/2 connection older than it gets GOAWAY at its next request, which is served",
    async ({ dataDir }) => {
      let offsetMs = 0;
      const h = await createHarness(dataDir, { now: () => Date.now() + offsetMs });
      const target = await startTarget("a");
      try {
        const lb = h.loadBalancer();
        h.services.loadBalancers.modifyAttributes(lb, [{ key: "client_keep_alive.seconds", value: "60" }]);
        const tg = h.targetGroup("tg", [target]);
        const certArn = storeCertificate(h, authority.issue([host]));
        const { port } = await httpsListener(h, lb, certArn, forward(tg));
        await h.reload();
        await h.waitForState("tg", target.port, "healthy");

        const session = await h2connect(port, ca, host);
        const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
        expect((await h2request(session, "/one")).status).toBe(200);
        offsetMs = 61_000;
        expect((await h2request(session, "/two")).status).toBe(200);
        await goaway;
        await eventually(() => (session.closed || session.destroyed ? true : undefined), {
          message: "the old connection closed",
        });
        expect(target.hits).toBe(2);
      } finally {
        await target.close();
        await h.close();
      }
    },
    20_000,
  );
});
