// The metadata server under hostile input, on real sockets: oversized heads, bodies, wrong methods, slow
// and greedy clients. None of it may hurt the worker: each is answered or cut off within its limit.

import { connect, type Socket } from "node:net";
import type { MetadataIdentity } from "@scaleout/core";
import { freePort } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.ts";
import { createMetadataServer, type MetadataServer } from "../src/metadata/server.ts";

const identity: MetadataIdentity = {
  instanceId: "i-0123456789abcdef0",
  imageId: "ami-0123456789abcdef0",
  instanceType: "local.process",
  localIpv4: "127.0.0.1",
  region: "us-east-1",
  availabilityZone: "us-east-1a",
  accountId: "000000000000",
  launchedAt: Date.now(),
  lifecycleState: "InService",
  warmPoolState: null,
  userData: undefined,
};

let server: MetadataServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.closeAll();
  server = undefined;
});

async function serve(limits = {}): Promise<number> {
  server = createMetadataServer({
    identity: (id) => (id === identity.instanceId ? identity : undefined),
    log: createLogger("error"),
    limits: { idleMs: 500, maxConnectionMs: 1_500, maxConnectionsPerPort: 4, ...limits },
  });
  const port = await freePort();
  await server.open(identity.instanceId, port);
  return port;
}

/** Sends raw bytes; resolves with everything answered until the server closes the connection. */
function raw(
  port: number,
  data: string,
  timeoutMs = 5_000,
): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: "127.0.0.1", port });
    sockets.push(socket);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.once("connect", () => socket.write(data));
    socket.once("close", () => resolve({ answer, closedAfterMs: Date.now() - started }));
    socket.once("error", () => undefined);
    setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms: ${answer}`)), timeoutMs).unref();
  });
}

const statusOf = (answer: string) => answer.slice(0, answer.indexOf("\r\n"));

describe("the metadata server under hostile input", () => {
  it("answers a request head over 8 KiB with 431 and closes", async () => {
    const port = await serve();
    const { answer } = await raw(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(16 * 1024)}\r\n\r\n`,
    );
    expect(statusOf(answer)).toBe("HTTP/1.1 431 Request Header Fields Too Large");
  });

  it("refuses a request with a body without reading it, and closes", async () => {
    const port = await serve();
    const { answer } = await raw(
      port,
      "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 1000000\r\n\r\nabc",
    );
    expect(statusOf(answer)).toBe("HTTP/1.1 400 Bad Request");
  });

  it("answers 405 to other methods and 400 to garbage", async () => {
    const port = await serve();
    const del = await raw(port, "DELETE /latest/meta-data/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(statusOf(del.answer)).toBe("HTTP/1.1 405 Method Not Allowed");
    expect(del.answer.toLowerCase()).toContain("allow: get, head");
    const garbage = await raw(port, "\x00\x01\x02 nonsense\r\n\r\n");
    expect(statusOf(garbage.answer)).toBe("HTTP/1.1 400 Bad Request");
  });

  it("cuts off a client that idles or dribbles its head", async () => {
    const port = await serve();
    const idle = await raw(port, "");
    expect(idle.answer).toBe("");
    expect(idle.closedAfterMs).toBeLessThan(1_400);
    // One header byte every 200 ms never idles for 500 ms; the lifetime cap ends it anyway.
    const dribble = new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect({ host: "127.0.0.1", port });
      sockets.push(socket);
      socket.once("error", () => undefined);
      const timer = setInterval(() => socket.writable && socket.write("X"), 200);
      socket.once("connect", () => socket.write("GET / HTTP/1.1\r\nX-Slow: "));
      socket.once("close", () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
    });
    const closedAfter = await dribble;
    expect(closedAfter).toBeGreaterThanOrEqual(1_400);
    expect(closedAfter).toBeLessThan(4_000);
  });

  it("throttles an instance past its request budget with 429, and recovers", async () => {
    const port = await serve({ throttle: { ratePerSecond: 2, burst: 5 } });
    const put = () =>
      fetch(`http://127.0.0.1:${port}/latest/api/token`, {
        method: "PUT",
        headers: { "x-aws-ec2-metadata-token-ttl-seconds": "5" },
        signal: AbortSignal.timeout(2_000),
      }).then((res) => res.status);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await put());
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    await eventually(async () => ((await put()) === 200 ? true : undefined), {
      timeoutMs: 3_000,
      intervalMs: 100,
      message: "a token once the budget refilled",
    });
  });

  it("holds at most its connection cap per port and still serves once they go", async () => {
    const port = await serve({ idleMs: 10_000, maxConnectionMs: 10_000 });
    const held = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
            socket.once("error", () => undefined);
            sockets.push(socket);
          }),
      ),
    );
    const refused = await raw(port, "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(refused.answer).toBe("");
    for (const socket of held) socket.destroy();
    const answer = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/latest/api/token`, {
          method: "PUT",
          headers: { "x-aws-ec2-metadata-token-ttl-seconds": "5" },
          signal: AbortSignal.timeout(1_000),
        }).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { timeoutMs: 5_000, message: "a token once the held connections are gone" },
    );
    expect(answer.headers.get("x-aws-ec2-metadata-token-ttl-seconds")).toBe("5");
  });
});
