import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import type { Action } from "@scaleout/core";
import { eventually } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { forward, loopback, readToClose, startRawServer, proxyTest as test } from "./helpers.ts";

/*
 * Upgrades go through the same router as plain requests (issue 9, item 4): rules, actions, weighted
 * forward, the same forwarded head; the tunnel opens only when the target answers 101, and nothing a
 * client pipelines behind an upgrade reaches a target that did not switch.
 */

const upgradeRequest = (path: string, extra: string[] = []) =>
  [
    `GET ${path} HTTP/1.1`,
    "Host: app.example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...extra,
    "",
    "",
  ].join("\r\n");

async function open(port: number): Promise<Socket> {
  const socket = connect(port, loopback);
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

const fixed403: Action[] = [
  {
    type: "fixed-response",
    fixedResponseConfig: { statusCode: "403", contentType: "text/plain", messageBody: "admin is closed" },
  },
];

describe("upgrades through the router", () => {
  test("an upgrade to /admin/* gets the rule's 403 and never reaches the target", async ({ env }) => {
    const a = await env.target("a");
    const { h } = env;
    const lb = h.loadBalancer();
    const tg = h.targetGroup("tg", [a]);
    const listener = await h.listener(lb, forward(tg));
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/admin/*"] }],
      actions: fixed403,
    });
    await h.reload();
    await h.waitForState("tg", a.port, "healthy");

    const socket = await open(listener.port);
    env.defer(() => socket.destroy());
    socket.write(upgradeRequest("/admin/console"));
    const answer = await readToClose(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain("admin is closed");
    expect(a.hits).toBe(0);
  });

  test("an upgrade matching a redirect rule is redirected", async ({ env }) => {
    const { h } = env;
    const lb = h.loadBalancer();
    const listener = await h.listener(lb, [
      { type: "redirect", redirectConfig: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
    await h.reload();
    const socket = await open(listener.port);
    env.defer(() => socket.destroy());
    socket.write(upgradeRequest("/chat?room=1"));
    const answer = await readToClose(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 301 /);
    expect(answer).toContain("location: https://app.example.com/chat?room=1");
  });

  test("an upgrade is forwarded with the same head as a plain request, by the rules' group", async ({
    env,
  }) => {
    const a = await env.target("a");
    const b = await env.target("b");
    const { h } = env;
    const lb = h.loadBalancer();
    h.services.loadBalancers.modifyAttributes(lb, [
      { key: "routing.http.xff_header_processing.mode", value: "preserve" },
    ]);
    const tgA = h.targetGroup("tg-a", [a]);
    const tgB = h.targetGroup("tg-b", [b]);
    const listener = await h.listener(lb, forward(tgA));
    h.services.rules.create(listener.arn, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/ws/*"] }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupArn: tgB, weight: 1 }] } }],
    });
    await h.reload();
    await h.waitForState("tg-b", b.port, "healthy");

    const socket = await open(listener.port);
    env.defer(() => socket.destroy());
    socket.write(upgradeRequest("/ws/chat", ["X-Forwarded-For: 203.0.113.9"]));
    const head = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\n")) resolve(text);
      });
    });
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain("X-Target: b");
    expect(a.hits).toBe(0);
    const seen = b.seen.at(-1);
    expect(seen?.url).toBe("/ws/chat");
    expect(seen?.headers.upgrade).toBe("websocket");
    // XFF mode preserve, as for plain requests: the client's header unchanged, no address appended.
    expect(seen?.headers["x-forwarded-for"]).toBe("203.0.113.9");
    expect(seen?.headers["x-forwarded-proto"]).toBe("http");
    expect(seen?.headers["x-forwarded-port"]).toBe(String(listener.port));
    expect(seen?.headers["x-amzn-trace-id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(seen?.headers.host).toBe("app.example.com");

    const line = await eventually(() => h.accessLogLines().find((l) => l.includes("/ws/chat")), {
      timeoutMs: 3000,
      message: "the upgrade's access log line",
    });
    expect(line).toContain(" 101 101 ");
  });

  test("a target answering 200 to an upgrade: relayed, connection closed, the pipelined request never reaches it", async ({
    env,
  }) => {
    const received: string[] = [];
    const raw = await startRawServer((socket) => {
      let buffer = "";
      socket.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("latin1");
        // Answers every complete request head it sees, keep-alive: a target that would serve a pipelined one.
        for (let end = buffer.indexOf("\r\n\r\n"); end !== -1; end = buffer.indexOf("\r\n\r\n")) {
          const requestLine = buffer.slice(0, buffer.indexOf("\r\n"));
          buffer = buffer.slice(end + 4);
          if (!requestLine.startsWith("GET /health")) received.push(requestLine);
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nplain");
        }
      });
    });
    env.defer(() => raw.close());
    const { port } = await env.h.simple([raw]);

    const socket = await open(port);
    env.defer(() => socket.destroy());
    socket.write(
      `${upgradeRequest("/first")}GET /second HTTP/1.1\r\nHost: app.example.com\r\n\r\nGET /third HTTP/1.1\r\nHost: app.example.com\r\n\r\n`,
    );
    const answer = await readToClose(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer.endsWith("plain")).toBe(true);
    // One response only: the connection ended after it.
    expect(answer.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(received).toEqual(["GET /first HTTP/1.1"]);
  });

  test("target stickiness: the 101 sets AWSALB and the next upgrade with it reaches the same target", async ({
    env,
  }) => {
    const a = await env.target("a");
    const b = await env.target("b");
    const { port } = await env.h.simple([a, b], { attributes: { "stickiness.enabled": "true" } });
    const upgradeHead = async (extra: string[]) => {
      const socket = await open(port);
      env.defer(() => socket.destroy());
      socket.write(upgradeRequest("/chat", extra));
      return new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString("latin1");
          if (text.includes("\r\n\r\n")) resolve(text);
        });
      });
    };
    const first = await upgradeHead([]);
    const cookie = /set-cookie: (AWSALB=[^;]+)/i.exec(first)?.[1];
    const pinned = /X-Target: (\w+)/.exec(first)?.[1];
    expect(cookie).toBeDefined();
    for (let i = 0; i < 4; i++) {
      const again = await upgradeHead([`Cookie: ${cookie}`]);
      expect(/X-Target: (\w+)/.exec(again)?.[1]).toBe(pinned);
    }
  });

  test("the deregistration delay ends an open tunnel", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a], {
      attributes: { "deregistration_delay.timeout_seconds": "1" },
    });
    const socket = await open(port);
    env.defer(() => socket.destroy());
    socket.write(upgradeRequest("/chat"));
    await new Promise<void>((resolve) => {
      socket.once("data", () => resolve());
    });
    const started = Date.now();
    const closed = readToClose(socket, 5000);
    env.h.services.targetGroups.deregister("tg", [{ id: loopback, port: a.port }]);
    await env.h.reload();
    await closed;
    const elapsed = Date.now() - started;
    // Held for the delay (the tunnel is in flight), then cut off.
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(4000);
    await eventually(() => (Object.keys(env.h.health("tg")).length === 0 ? true : undefined), {
      timeoutMs: 3000,
      message: "the drained target left the group",
    });
  });
});
