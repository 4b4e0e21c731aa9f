import { connect } from "node:net";
import type { Action } from "@scaleout/core";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { forward, loopback, type ProxyEnv, readToClose, proxyTest as test } from "./helpers.ts";

/*
 * Requests are classified and normalised before rules (issue 9, item 3): rules match the normalised path
 * and the Host an absolute-form target names, whatever form the client wrote; what the classifier
 * refuses is answered with its status; the access log records ALB's classification and reason.
 */

const deny: Action[] = [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode: "403", contentType: "text/plain", messageBody: "denied" },
  },
];

/** A listener forwarding to target `a`, with a rule answering 403 to /admin/*. */
async function guarded(env: ProxyEnv, attributes: Record<string, string> = {}) {
  const a = await env.target("a");
  const { h } = env;
  const lb = h.loadBalancer();
  const entries = Object.entries(attributes).map(([key, value]) => ({ key, value }));
  if (entries.length > 0) h.services.loadBalancers.modifyAttributes(lb, entries);
  const tg = h.targetGroup("tg", [a]);
  const listener = await h.listener(lb, forward(tg));
  h.services.rules.create(listener.arn, {
    priority: 1,
    conditions: [{ field: "path-pattern", values: ["/admin/*"] }],
    actions: deny,
  });
  await h.reload();
  await h.waitForState("tg", a.port, "healthy");
  return { a, port: listener.port };
}

/** Sends `raw` on a fresh connection and answers everything until the proxy closes it (or `Connection: close` is asked). */
async function exchange(port: number, raw: string): Promise<string> {
  const socket = connect(port, loopback);
  await new Promise((resolve) => socket.once("connect", resolve));
  const answer = readToClose(socket);
  socket.write(raw);
  return answer;
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe("normalisation before rules", () => {
  test("no form of /admin/x walks around an /admin/* rule, plain or upgrade", async ({ env }) => {
    const { a, port } = await guarded(env);
    const forms = [
      "http://app.example.com/admin/x",
      "/a/../admin/x",
      "//admin/x",
      "/%61dmin/x",
      "/admin/./x",
    ];
    for (const form of forms) {
      const plain = await exchange(
        port,
        `GET ${form} HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n`,
      );
      expect(status(plain), form).toBe(403);
      const upgrade = await exchange(
        port,
        `GET ${form} HTTP/1.1\r\nHost: app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      expect(status(upgrade), `upgrade ${form}`).toBe(403);
    }
    expect(a.hits).toBe(0);

    // What is not /admin/ still reaches the target, in its normalised form.
    const ok = await exchange(
      port,
      "GET /public/../docs//x?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    expect(status(ok)).toBe(200);
    expect(a.seen.at(-1)?.url).toBe("/docs/x?q=1");
  });

  test("absolute form: reduced to origin form, its authority becomes the Host", async ({ env }) => {
    const { a, port } = await guarded(env);
    const answer = await exchange(
      port,
      "GET http://api.example.com:8080/v1/items?x=1 HTTP/1.1\r\nHost: other.example.com\r\nConnection: close\r\n\r\n",
    );
    expect(status(answer)).toBe(200);
    expect(a.seen.at(-1)?.url).toBe("/v1/items?x=1");
    expect(a.seen.at(-1)?.headers.host).toBe("api.example.com:8080");
  });

  test("HTTP/1.0 without Host is forwarded with the listener's address as Host", async ({ env }) => {
    const { a, port } = await guarded(env);
    const answer = await exchange(port, "GET /legacy HTTP/1.0\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(a.seen.at(-1)?.headers.host).toBe(`${loopback}:${port}`);
  });

  test("duplicate Host and ambiguous framing are refused; the access log says why", async ({ env }) => {
    const { a, port } = await guarded(env);
    const twoHosts = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    expect(status(twoHosts)).toBe(400);
    expect(twoHosts.toLowerCase()).toContain("connection: close");
    const teCl = await exchange(
      port,
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
    );
    expect(status(teCl)).toBe(400);
    expect(a.hits).toBe(0);
    const line = await eventually(() => env.h.accessLogLines().find((l) => l.includes('"DuplicateHost"')), {
      timeoutMs: 3000,
      message: "an access log line for the duplicate Host",
    });
    expect(line).toContain(" 400 - ");
    expect(line).toContain('"Severe" "DuplicateHost"');
  });

  test("ALB's size limits: a 16 KiB request line or field is refused with its reason, a 15 KiB one is served", async ({
    env,
  }) => {
    const { a, port } = await guarded(env);
    const longLine = await exchange(port, `GET /${"a".repeat(17 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(status(longLine)).toBe(414);
    const longField = await exchange(
      port,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(17 * 1024)}\r\n\r\n`,
    );
    expect(status(longField)).toBe(431);
    const fields = Array.from({ length: 6 }, (_, i) => `X-F${i}: ${"c".repeat(12 * 1024)}\r\n`).join("");
    const longHead = await exchange(port, `GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\n`);
    expect(status(longHead)).toBe(431);
    expect(a.hits).toBe(0);
    for (const reason of ["RequestLineTooLong", "HeaderTooLarge"]) {
      await eventually(() => env.h.accessLogLines().find((l) => l.includes(`"${reason}"`)), {
        timeoutMs: 3000,
        message: `an access log line for ${reason}`,
      });
    }
    // Under the limits, though over node:http's 16 KiB head: forwarded whole.
    const near = `X-Near: ${"d".repeat(15 * 1024)}`;
    const served = await exchange(
      port,
      `GET /${"e".repeat(8 * 1024)} HTTP/1.1\r\nHost: a\r\n${near}\r\nConnection: close\r\n\r\n`,
    );
    expect(status(served)).toBe(200);
    expect(a.hits).toBe(1);
  });

  test("the access log records the classification of forwarded requests", async ({ env }) => {
    const { port } = await guarded(env, { "routing.http.desync_mitigation_mode": "monitor" });
    await exchange(port, "GET /fine HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const compliant = await eventually(() => env.h.accessLogLines().find((l) => l.includes("/fine")), {
      timeoutMs: 3000,
      message: "the compliant request's line",
    });
    expect(compliant).toContain('"Compliant" "-"');
  });

  test("defensive mode: an ambiguous request is served, then the connection closes", async ({ env }) => {
    const { a, port } = await guarded(env);
    // A GET with a body length is Ambiguous (UndefinedContentLengthSemantics).
    const answer = await exchange(
      port,
      "GET /ambiguous HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    expect(status(answer)).toBe(200);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(a.seen.map((s) => s.url)).toEqual(["/ambiguous"]);
  });

  test("a refused request's pipelined successor is not served either", async ({ env }) => {
    const { a, port } = await guarded(env);
    const answer = await exchange(
      port,
      "GET /one HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    expect(status(answer)).toBe(400);
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(a.hits).toBe(0);
  });

  test("strictest mode refuses what is not compliant", async ({ env }) => {
    const { a, port } = await guarded(env, { "routing.http.desync_mitigation_mode": "strictest" });
    const answer = await exchange(
      port,
      "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    expect(status(answer)).toBe(400);
    expect(a.hits).toBe(0);
  });

  test("drop_invalid_header_fields removes headers whose names ALB calls invalid", async ({ env }) => {
    const { a, port } = await guarded(env, { "routing.http.drop_invalid_header_fields.enabled": "true" });
    const answer = await exchange(
      port,
      "GET /x HTTP/1.1\r\nHost: a\r\nx_under: 1\r\nx-fine: 2\r\nConnection: close\r\n\r\n",
    );
    expect(status(answer)).toBe(200);
    expect(a.seen.at(-1)?.headers["x-fine"]).toBe("2");
    expect(a.seen.at(-1)?.headers.x_under).toBeUndefined();
  });
});
