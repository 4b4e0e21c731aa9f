import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { describe, expect } from "vitest";
import { loopback, send, startRawServer, type TargetServer, proxyTest as test } from "./helpers.ts";

/** The headers the target received for the last request, by lower-case name. */
const lastSeen = (target: TargetServer) => {
  const seen = target.seen.at(-1);
  if (!seen) throw new Error(`${target.name} saw no request`);
  return seen;
};

describe("forwarded headers", () => {
  test("X-Forwarded-For appended, X-Forwarded-Proto, X-Forwarded-Port, X-Amzn-Trace-Id, Host kept", async ({
    env,
  }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);

    await send(port, "/", { headers: { host: "app.example.com" } });
    let seen = lastSeen(a).headers;
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-port"]).toBe(String(port));
    expect(seen.host).toBe("app.example.com");
    const trace = String(seen["x-amzn-trace-id"]);
    expect(trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const epoch = Number.parseInt(trace.slice("Root=1-".length, "Root=1-".length + 8), 16);
    expect(Math.abs(epoch - Date.now() / 1000)).toBeLessThan(5);

    // A client's own X-Forwarded-For is kept, the connection's address appended.
    await send(port, "/", { headers: { "x-forwarded-for": "203.0.113.7, 198.51.100.2" } });
    expect(lastSeen(a).headers["x-forwarded-for"]).toBe("203.0.113.7, 198.51.100.2, 127.0.0.1");
    await send(port, "/", { localAddress: "127.0.0.5", headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(lastSeen(a).headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.5");

    // Forged X-Forwarded-Proto/Port are replaced; a client's trace root is kept with ALB's Self beside it.
    await send(port, "/", {
      headers: {
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793",
      },
    });
    seen = lastSeen(a).headers;
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-port"]).toBe(String(port));
    expect(seen["x-amzn-trace-id"]).toMatch(
      /^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-5759e988-bd862e3fe1be46a994272793$/,
    );

    // Each request gets its own trace id.
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await send(port);
      ids.add(String(lastSeen(a).headers["x-amzn-trace-id"]));
    }
    expect(ids.size).toBe(5);
  });

  test("hop-by-hop headers are not forwarded, in either direction", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    const reply = await send(port, "/", {
      headers: {
        connection: "keep-alive, X-Hop-Secret",
        "keep-alive": "timeout=5",
        "x-hop-secret": "not for the target",
        te: "trailers",
        "proxy-authorization": "Basic c2VjcmV0",
        "x-end-to-end": "kept",
      },
    });
    expect(reply.status).toBe(200);
    const names = lastSeen(a)
      .rawHeaders.filter((_, i) => i % 2 === 0)
      .map((n) => n.toLowerCase());
    expect(names).toContain("x-end-to-end");
    for (const hop of ["keep-alive", "x-hop-secret", "te", "proxy-authorization", "proxy-connection"]) {
      expect(names, `${hop} reached the target`).not.toContain(hop);
    }
    expect(lastSeen(a).headers.connection ?? "keep-alive").not.toMatch(/x-hop-secret/i);
  });

  test("hop-by-hop headers of the target's answer stay with the target", async ({ env }) => {
    const raw = await startRawServer((socket) => {
      socket.on("data", () =>
        socket.write(
          "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: secret\r\nKeep-Alive: timeout=7\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nok",
        ),
      );
    });
    env.defer(() => raw.close());
    const { port } = await env.h.simple([raw]);
    const reply = await send(port);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("ok");
    expect(reply.headers["x-public"]).toBe("yes");
    expect(reply.headers["x-internal"]).toBeUndefined();
    expect(reply.headers["keep-alive"]).not.toBe("timeout=7");
  });

  test("routing.http.xff_header_processing.mode: preserve and remove", async ({ env }) => {
    const { h } = env;
    const a = await env.target("a");
    const { port } = await h.simple([a]);

    h.services.loadBalancers.modifyAttributes("web", [
      { key: "routing.http.xff_header_processing.mode", value: "preserve" },
    ]);
    await h.reload();
    await send(port, "/", { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(lastSeen(a).headers["x-forwarded-for"]).toBe("203.0.113.7");
    await send(port);
    expect(lastSeen(a).headers["x-forwarded-for"]).toBeUndefined();

    h.services.loadBalancers.modifyAttributes("web", [
      { key: "routing.http.xff_header_processing.mode", value: "remove" },
    ]);
    await h.reload();
    await send(port, "/", { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(lastSeen(a).headers["x-forwarded-for"]).toBeUndefined();
    expect(lastSeen(a).headers["x-forwarded-proto"]).toBe("http");

    h.services.loadBalancers.modifyAttributes("web", [
      { key: "routing.http.xff_header_processing.mode", value: "append" },
    ]);
    await h.reload();
    await send(port, "/", { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(lastSeen(a).headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  });
});

/** Reads from `socket` until `predicate` holds for everything read so far. */
function readUntil(socket: Socket, predicate: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out; read so far: ${JSON.stringify(text)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (predicate(text)) {
        cleanup();
        resolve(text);
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`closed; read so far: ${JSON.stringify(text)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
    };
    socket.on("data", onData);
    socket.on("close", onClose);
  });
}

describe("upgrades", () => {
  test("a WebSocket upgrade passes through: 101, then bytes both ways", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    const key = randomBytes(16).toString("base64");
    const socket = connect(port, loopback);
    env.defer(() => socket.destroy());
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      [
        "GET /chat?room=1 HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
        "",
        "",
      ].join("\r\n"),
    );
    const head = await readUntil(socket, (t) => t.includes("\r\n\r\n"));
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    expect(head).toContain(`Sec-WebSocket-Accept: ${accept}`);
    expect(lastSeen(a).url).toBe("/chat?room=1");
    expect(lastSeen(a).headers["x-forwarded-for"]).toBe("127.0.0.1");

    // A masked text frame and raw bytes: the tunnel does not care what flows through it.
    for (const message of ["hello over the tunnel", "second message"]) {
      socket.write(message);
      expect(await readUntil(socket, (t) => t.includes(message))).toContain(message);
    }
    // Closing one side closes the other.
    socket.end();
    await new Promise((resolve) => socket.once("close", resolve));
  });

  test("an upgrade to a target that refuses is answered 502", async ({ env }) => {
    const a = await env.target("a");
    const { port } = await env.h.simple([a]);
    await a.close();
    const socket = connect(port, loopback);
    env.defer(() => socket.destroy());
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(await readUntil(socket, (t) => t.includes("\r\n\r\n"))).toMatch(/^HTTP\/1\.1 502 /);
  });
});
