import { connect, type Socket } from "node:net";
import { eventually, integrationTest } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { createHarness, forward, loopback, readToClose, startTarget } from "./helpers.ts";

async function open(port: number): Promise<Socket> {
  const socket = connect(port, loopback);
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

/** The first complete response on `socket` (Content-Length or chunked), leaving the connection open. */
function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text);
      const complete = length ? text.length >= end + 4 + Number(length[1]) : text.endsWith("\r\n0\r\n\r\n");
      if (end !== -1 && complete) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("client-side timeouts", () => {
  integrationTest(
    "client_keep_alive.seconds: a connection older than it is closed after its next response",
    async ({ dataDir }) => {
      let offsetMs = 0;
      const h = await createHarness(dataDir, { now: () => Date.now() + offsetMs });
      const target = await startTarget("a");
      try {
        const lb = h.loadBalancer();
        h.services.loadBalancers.modifyAttributes(lb, [{ key: "client_keep_alive.seconds", value: "60" }]);
        const tg = h.targetGroup("tg", [target]);
        const { port } = await h.listener(lb, forward(tg));
        await h.reload();
        await h.waitForState("tg", target.port, "healthy");

        const socket = await open(port);
        socket.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
        const first = await readResponse(socket);
        expect(first).toMatch(/^HTTP\/1\.1 200 /);
        expect(first.toLowerCase()).toContain("connection: keep-alive");

        offsetMs = 61_000;
        const closed = readToClose(socket);
        socket.write("GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
        const second = await closed;
        expect(second).toMatch(/^HTTP\/1\.1 200 /);
        expect(second.toLowerCase()).toContain("connection: close");
        expect(target.hits).toBe(2);
      } finally {
        await target.close();
        await h.close();
      }
    },
    20_000,
  );

  integrationTest(
    "idle_timeout: a client that stops sending its body mid-way loses the connection and the target's request ends",
    async ({ dataDir }) => {
      const h = await createHarness(dataDir);
      const target = await startTarget("a");
      try {
        const lb = h.loadBalancer();
        h.services.loadBalancers.modifyAttributes(lb, [{ key: "idle_timeout.timeout_seconds", value: "1" }]);
        const tg = h.targetGroup("tg", [target]);
        const { port } = await h.listener(lb, forward(tg));
        await h.reload();
        await h.waitForState("tg", target.port, "healthy");

        const socket = await open(port);
        const started = Date.now();
        const closed = readToClose(socket, 5000);
        socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789");
        await eventually(() => (target.inflight === 1 ? true : undefined), {
          timeoutMs: 2000,
          message: "the target received the request head",
        });
        await closed;
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(900);
        expect(elapsed).toBeLessThan(4000);
        await eventually(() => (target.inflight === 0 ? true : undefined), {
          timeoutMs: 2000,
          message: "the target's half-received request ended",
        });
      } finally {
        await target.close();
        await h.close();
      }
    },
    20_000,
  );
});
