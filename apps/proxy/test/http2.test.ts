import { createHash, randomBytes } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import type { Action } from "@scaleout/core";
import { eventually } from "@scaleout/testing";
import { afterAll, describe, expect } from "vitest";
import { forward, loopback, type ProxyEnv, proxyTest as test } from "./helpers.ts";
import { closeSession, curl, h2connect, h2request, hasCurlHttp2 } from "./http2-fixtures.ts";
import { httpsListener, sendHttps, storeCertificate, TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());
const ca = authority.certificatePem;
const host = "www.example.test";

const fixed = (body: string, statusCode = "200"): Action[] => [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode, contentType: "text/plain", messageBody: body },
  },
];

/** An HTTPS listener forwarding to one target `a` (healthy), with the load balancer's attributes. */
async function httpsToTarget(env: ProxyEnv, attributes: Record<string, string> = {}) {
  const { h } = env;
  const target = await env.target("a");
  const lb = h.loadBalancer();
  if (Object.keys(attributes).length > 0)
    h.services.loadBalancers.modifyAttributes(
      lb,
      Object.entries(attributes).map(([key, value]) => ({ key, value })),
    );
  const tg = h.targetGroup("tg", [{ port: target.port }]);
  const certArn = storeCertificate(h, authority.issue([host, "*.example.test"]));
  const listener = await httpsListener(h, lb, certArn, forward(tg));
  await h.reload();
  await h.waitForState("tg", target.port, "healthy");
  return { target, lb, tg, port: listener.port, listenerArn: listener.arn };
}

/** The protocol a TLS client offering h2 and http/1.1 gets by ALPN. */
function negotiated(port: number): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: loopback,
      port,
      ca,
      servername: host,
      ALPNProtocols: ["h2", "http/1.1"],
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => {
      resolve(socket.alpnProtocol ?? false);
      socket.end();
    });
    socket.once("error", reject);
  });
}

describe("HTTP/2 on HTTPS listeners", () => {
  test("HTTP/2 and HTTP/1.1 clients both reach the target over one listener, as HTTP/1.1", async ({
    env,
  }) => {
    const { target, port } = await httpsToTarget(env);
    expect(await negotiated(port)).toBe("h2");

    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const reply = await h2request(session, "/h2/path?x=1", {
      headers: { ":authority": `${host}:${port}`, cookie: ["a=1", "b=2"], "x-custom": "yes" },
    });
    expect(reply.status).toBe(200);
    expect(reply.target).toBe("a");
    // What the target saw: an HTTP/1.1 request, Host from :authority, no pseudo-header fields, the
    // cookie crumbs joined, the forwarding headers of an HTTPS listener.
    const seen = target.seen.at(-1);
    expect(seen?.url).toBe("/h2/path?x=1");
    expect(seen?.headers.host).toBe(`${host}:${port}`);
    expect(seen?.headers.cookie).toBe("a=1; b=2");
    expect(seen?.headers["x-custom"]).toBe("yes");
    expect(seen?.headers["x-forwarded-proto"]).toBe("https");
    expect(seen?.headers["x-forwarded-port"]).toBe(String(port));
    expect(seen?.rawHeaders.some((name) => name.startsWith(":"))).toBe(false);
    // The target's own response headers come back; its connection-specific ones do not.
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.headers.connection).toBeUndefined();
    expect(reply.headers["keep-alive"]).toBeUndefined();

    const http1 = await sendHttps(port, "/h1/path", { ca, servername: host });
    expect(http1.status).toBe(200);
    expect(http1.target).toBe("a");
    expect(target.seen.at(-1)?.url).toBe("/h1/path");
  });

  test("path, host and header rules match HTTP/2 requests as they match HTTP/1.1 ones", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const certArn = storeCertificate(h, authority.issue([host, "api.example.test"]));
    const listener = await httpsListener(h, lb, certArn, fixed("default"));
    const rules: Array<[number, Parameters<typeof h.services.rules.create>[1]["conditions"]]> = [
      [1, [{ field: "path-pattern", values: ["/images/*"] }]],
      [2, [{ field: "host-header", values: ["api.example.test"] }]],
      [3, [{ field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Tier", values: ["gold"] } }]],
      [4, [{ field: "http-request-method", httpRequestMethodConfig: { values: ["DELETE"] } }]],
    ];
    for (const [priority, conditions] of rules)
      h.services.rules.create(listener.arn, { priority, conditions, actions: fixed(`rule-${priority}`) });
    await h.reload();

    const session = await h2connect(listener.port, ca, host);
    env.defer(() => closeSession(session));
    const h2 = async (path: string, headers: Record<string, string> = {}, method = "GET") =>
      (await h2request(session, path, { headers, method })).text;
    const h1 = async (path: string, headers: Record<string, string> = {}) =>
      (await sendHttps(listener.port, path, { ca, servername: host, headers })).body;

    expect(await h2("/images/cat.png")).toBe("rule-1");
    expect(await h1("/images/cat.png")).toBe("rule-1");
    expect(await h2("/", { ":authority": "api.example.test" })).toBe("rule-2");
    expect(await h1("/", { host: "api.example.test" })).toBe("rule-2");
    expect(await h2("/", { "x-tier": "gold" })).toBe("rule-3");
    expect(await h1("/", { "x-tier": "gold" })).toBe("rule-3");
    expect(await h2("/", {}, "DELETE")).toBe("rule-4");
    expect(await h2("/other")).toBe("default");
    expect(await h1("/other")).toBe("default");
    // The normalised path: rules see what an HTTP/1.1 request's would.
    expect(await h2("/x/../images/./dog.png")).toBe("rule-1");
  });

  test("fixed-response and redirect actions answer over HTTP/2", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const certArn = storeCertificate(h, authority.issue([host]));
    const listener = await httpsListener(h, lb, certArn, fixed("teapot", "418"));
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/old/*"] }],
      actions: [{ type: "redirect", redirectConfig: { path: "/new/#{path}", statusCode: "HTTP_301" } }],
    });
    await h.reload();

    const session = await h2connect(listener.port, ca, host);
    env.defer(() => closeSession(session));
    const teapot = await h2request(session, "/anything");
    expect(teapot.status).toBe(418);
    expect(teapot.text).toBe("teapot");
    expect(teapot.headers["content-type"]).toBe("text/plain");
    expect(teapot.headers.server).toBe("awselb/2.0");
    // A body the action never reads does not hold the answer or the connection.
    const withBody = await h2request(session, "/anything", {
      method: "POST",
      body: randomBytes(1024 * 1024),
    });
    expect(withBody.status).toBe(418);
    expect((await h2request(session, "/anything")).status).toBe(418);

    const moved = await h2request(session, "/old/page?q=1", {
      headers: { ":authority": "App.Example.test" },
    });
    expect(moved.status).toBe(301);
    // #{protocol} and #{port} are the request's: https on the listener's port.
    expect(moved.headers.location).toBe(`https://App.Example.test:${listener.port}/new/old/page?q=1`);
  });

  test("many concurrent streams on one connection each get their own answer", async ({ env }) => {
    const { target, port, lb } = await httpsToTarget(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    // 100 in flight at once (under ALB's 128 streams a connection), each answered after a short delay.
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => h2request(session, `/stream/${i}?delay=50`)),
    );
    for (const [i, reply] of replies.entries()) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.text).url).toBe(`/stream/${i}?delay=50`);
    }
    expect(target.hits).toBe(100);
    // Counted in the AWS/ApplicationELB metrics as HTTP/1.1 requests are.
    const dimension = lb.slice(lb.indexOf(":loadbalancer/") + ":loadbalancer/".length);
    const requestCount = () => {
      const now = Math.floor(Date.now() / 1000);
      const { datapoints } = env.h.services.metrics.statistics({
        namespace: "AWS/ApplicationELB",
        metricName: "RequestCount",
        dimensions: [{ name: "LoadBalancer", value: dimension }],
        startTime: now - 300,
        endTime: now + 60,
        period: 60,
        statistics: ["Sum"],
      });
      return datapoints.reduce((n, d) => n + (d.sum ?? 0), 0);
    };
    await eventually(() => (requestCount() === 100 ? true : undefined), {
      message: "RequestCount 100",
      timeoutMs: 5000,
    });
  });

  test("request bodies stream to the target, with and without content-length", async ({ env }) => {
    const { target, port } = await httpsToTarget(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    const payload = randomBytes(1024 * 1024 + 17);
    const sha = createHash("sha256").update(payload).digest("hex");

    const sized = await h2request(session, "/upload", {
      method: "PUT",
      body: payload,
      headers: { "content-length": String(payload.length) },
    });
    expect(sized.status).toBe(200);
    expect(JSON.parse(sized.text)).toMatchObject({ bodyLength: payload.length, bodySha256: sha });
    expect(target.seen.at(-1)?.headers["content-length"]).toBe(String(payload.length));

    // No content-length (DATA frames until END_STREAM): chunked to the HTTP/1.1 target.
    const unsized = await h2request(session, "/upload", { method: "POST", body: payload });
    expect(unsized.status).toBe(200);
    expect(JSON.parse(unsized.text)).toMatchObject({ bodyLength: payload.length, bodySha256: sha });
    expect(target.seen.at(-1)?.headers["transfer-encoding"]).toBe("chunked");
  });

  test("routing.http2.enabled=false offers only http/1.1; turning it on again offers h2 to new connections", async ({
    env,
  }) => {
    const { h } = env;
    const { lb, port } = await httpsToTarget(env, { "routing.http2.enabled": "false" });
    expect(await negotiated(port)).toBe("http/1.1");
    const http1 = await sendHttps(port, "/", { ca, servername: host });
    expect(http1.status).toBe(200);

    h.services.loadBalancers.modifyAttributes(lb, [{ key: "routing.http2.enabled", value: "true" }]);
    await h.reload();
    expect(await negotiated(port)).toBe("h2");
  });

  test("a client that resets its stream mid-response leaks no target connection and harms no other stream", async ({
    env,
  }) => {
    const { target, port } = await httpsToTarget(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    // /hold waits for release(): reset the stream while the target still holds it.
    const held = session.request({ ":path": "/hold" });
    held.on("error", () => {});
    await eventually(() => (target.held === 1 ? true : undefined), { message: "the request held" });
    const other = h2request(session, "/other");
    held.close(0x8); // CANCEL
    // The proxy gives up the target's exchange: the target sees its connection close.
    await eventually(() => (target.inflight === 1 ? true : undefined), {
      message: "the held request's target connection closed",
      timeoutMs: 5000,
    });
    expect((await other).status).toBe(200);
    target.release();
    // The connection goes on serving.
    expect((await h2request(session, "/after")).status).toBe(200);
    await eventually(() => (target.inflight === 0 ? true : undefined), { message: "nothing in flight" });
  });

  test("a client that goes away mid-response does not disturb the proxy", async ({ env }) => {
    const { target, port } = await httpsToTarget(env);
    const session = await h2connect(port, ca, host);
    for (let i = 0; i < 5; i++) session.request({ ":path": `/hold?${i}` }).on("error", () => {});
    await eventually(() => (target.held === 5 ? true : undefined), { message: "five requests held" });
    session.destroy();
    target.release();
    await eventually(() => (target.inflight === 0 ? true : undefined), {
      message: "the held requests ended",
    });
    const again = await h2connect(port, ca, host);
    env.defer(() => closeSession(again));
    expect((await h2request(again, "/")).status).toBe(200);
  });

  test("access log entries of HTTP/2 requests have ALB's h2 type", async ({ env }) => {
    const { h } = env;
    const { port } = await httpsToTarget(env);
    const session = await h2connect(port, ca, host);
    env.defer(() => closeSession(session));
    await h2request(session, "/logged-h2", { headers: { ":authority": `${host}:${port}` } });
    const line = await eventually(() => h.accessLogLines().find((l) => l.includes("/logged-h2")), {
      message: "the access log line of /logged-h2",
    });
    expect(line.split(" ")[0]).toBe("h2");
    expect(line).toContain(`"GET https://${host}:${port}/logged-h2 HTTP/2.0"`);
    expect(line).toMatch(/" [A-Z0-9_-]+ TLSv1\.[23] arn:/);
  });

  test("curl --http2 --cacert reaches the target over HTTP/2", async ({ env }) => {
    if (!(await hasCurlHttp2())) return;
    const { port } = await httpsToTarget(env);
    const dir = env.h.accessLogFile.replace(/logs\/access\.log$/, "");
    const caFile = `${dir}ca.pem`;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(caFile, ca);
    const out = await curl([
      "--http2",
      "--cacert",
      caFile,
      "--resolve",
      `${host}:${port}:${loopback}`,
      "--write-out",
      "\n%{http_version} %{http_code}",
      `https://${host}:${port}/curl`,
    ]);
    expect(out.trim().split("\n").at(-1)).toBe("2 200");
  });
});
