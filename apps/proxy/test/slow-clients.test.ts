import { connect, type Socket } from "node:net";
import { eventually, integrationTest } from "@scaleout/testing";
import { describe, expect } from "vitest";
import { createHarness, load, loopback, type Reply, send, startTarget } from "./helpers.ts";

/**
 * Clients that send a request head and then dribble their body must not hold the target's pooled
 * connections: a request takes a connection only once its body is here (or 64 KiB of it), so the
 * group keeps serving everyone else. SLOW_CLIENTS and SLOW_POOL change the figures for a measurement.
 */

const slowClientCount = Number(process.env.SLOW_CLIENTS ?? 300);
/** Smaller than the default 256 to keep the test cheap; the figure holds with 256 too (measured). */
const connectionsPerTarget = Number(process.env.SLOW_POOL ?? 32);

/**
 * `count` clients that each send a POST head announcing 1 MB and then one byte every 200 ms. They stop
 * by themselves after `maxMs` whatever happens, or when `stop()` is called.
 */
function slowClients(port: number, count: number, maxMs: number) {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connected = 0;
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const stop = () => {
    for (const timer of timers) clearInterval(timer);
    timers.clear();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    resolveReady();
  };
  for (let i = 0; i < count; i++) {
    const socket = connect(port, loopback);
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.once("connect", () => {
      socket.write(`POST /slow HTTP/1.1\r\nhost: lb\r\ncontent-length: 1000000\r\n\r\nx`);
      timers.add(setInterval(() => socket.write("x"), 200));
      if (++connected === count) resolveReady();
    });
  }
  const deadline = setTimeout(stop, maxMs);
  return {
    ready,
    stop() {
      clearTimeout(deadline);
      stop();
    },
  };
}

describe("slow clients", () => {
  integrationTest(
    `${slowClientCount} clients dribbling request bodies do not starve a group (pool of ${connectionsPerTarget})`,
    async ({ dataDir }) => {
      const h = await createHarness(dataDir, { connectionsPerTarget });
      const target = await startTarget("a");
      const slow = { stop: () => {} };
      try {
        const { port } = await h.simple([target]);
        const clients = slowClients(port, slowClientCount, 15_000);
        slow.stop = clients.stop;
        await clients.ready;
        const started = Date.now();
        const total = 400;
        const replies = await load(total, 20, (i): Promise<Reply> => {
          const request =
            i % 3 === 0
              ? send(port, "/get", { timeoutMs: 5000 })
              : send(port, "/post", {
                  method: "POST",
                  body: "b".repeat(200),
                  timeoutMs: 5000,
                  // Half with a length, half chunked.
                  ...(i % 3 === 1 && { headers: { "content-length": "200" } }),
                });
          return request.catch(() => ({ status: 0, headers: {}, body: "", target: undefined }));
        });
        const elapsed = Date.now() - started;
        clients.stop();
        const ok = replies.filter((r) => r.status === 200).length;
        console.log(
          `${slowClientCount} slow clients, pool ${connectionsPerTarget}: ${ok}/${total} normal requests ok in ${elapsed} ms`,
        );
        expect(ok / total).toBeGreaterThanOrEqual(0.99);
        // No slow request ever reached the target: none held one of its connections.
        expect(target.seen.filter((s) => s.url === "/slow")).toHaveLength(0);
        // Every normal request that succeeded, and nothing else, reached the target.
        expect(target.seen).toHaveLength(ok);
      } finally {
        slow.stop();
        await target.close();
        await h.close();
      }
    },
  );

  integrationTest(
    "a request that waits too long for a busy pool fails alone with 503",
    async ({ dataDir }) => {
      const h = await createHarness(dataDir, { connectionsPerTarget: 2 });
      const target = await startTarget("a");
      try {
        const { port } = await h.simple([target]);
        const held = [send(port, "/hold"), send(port, "/hold")];
        // Both connections are taken before the third request arrives.
        await eventually(() => (target.held === 2 ? true : undefined), { message: "two requests held" });
        const waitingStarted = Date.now();
        const waited = await send(port, "/queued");
        const waitedMs = Date.now() - waitingStarted;
        expect(waited.status).toBe(503);
        expect(waited.headers.server).toBe("awselb/2.0");
        // The pool's queue timeout (3 s by default) bounds the wait.
        expect(waitedMs).toBeGreaterThanOrEqual(2500);
        expect(waitedMs).toBeLessThan(6000);
        target.release();
        expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
        // The pool is whole again.
        expect((await send(port, "/after")).status).toBe(200);
        const lines = await eventually(
          () => {
            const found = h.accessLogLines().filter((line) => line.includes("TargetCapacityExceeded"));
            return found.length > 0 ? found : undefined;
          },
          { message: "the 503 in the access log" },
        );
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(" 503 ");
      } finally {
        await target.close();
        await h.close();
      }
    },
  );
});
