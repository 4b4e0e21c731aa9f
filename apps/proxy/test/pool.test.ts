import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { describe, expect } from "vitest";
import type { ResponseSink } from "../src/upstream/connection.ts";
import type { UpstreamError } from "../src/upstream/errors.ts";
import { TargetConnections } from "../src/upstream/pool.ts";

/**
 * The keep-alive pool to one target, driven directly: connections a burst opened and the usual load does
 * not reach are closed after the decay interval, and the one the load keeps using stays open.
 */

/** A sink that resolves when its response has ended (or failed). */
function sink(): { sink: ResponseSink; done: Promise<number> } {
  let resolve: (status: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  let status = 0;
  return {
    done,
    sink: {
      onResponseStart: (s) => {
        status = s;
      },
      onResponseData: () => true,
      onResponseEnd: () => resolve(status),
      onResponseError: (error: UpstreamError) => resolve(-1 * (error.code.length || 1)),
      onReadRelayed: () => {},
    },
  };
}

function exchange(pool: TargetConnections): Promise<number> {
  const { sink: s, done } = sink();
  pool.request(
    {
      head: "GET / HTTP/1.1\r\nhost: t\r\n\r\n",
      body: undefined,
      chunked: false,
      headRequest: false,
      idempotent: true,
      idleTimeoutMs: 60_000,
    },
    s,
  );
  return done;
}

describe("upstream pool", () => {
  test("connections a burst opened close after the decay; the one in use stays", async () => {
    // Answers after a short delay, so a burst of requests needs a connection each.
    const server: Server = createServer((_req, res) => {
      setTimeout(() => res.end("ok"), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const pool = new TargetConnections("127.0.0.1", port, {
      connectTimeoutMs: 1000,
      maxConnections: 64,
      idleDecayMs: 100,
    });
    try {
      const burst = await Promise.all(Array.from({ length: 10 }, () => exchange(pool)));
      expect(burst.every((status) => status === 200)).toBe(true);
      expect(pool.size).toBe(10);
      // One request at a time for a while: it reuses the most recently released connection each time,
      // and the other nine decay.
      const until = Date.now() + 600;
      while (Date.now() < until) expect(await exchange(pool)).toBe(200);
      await eventually(() => (pool.size <= 1 ? true : undefined), { timeoutMs: 2000 });
      expect(await exchange(pool)).toBe(200);
    } finally {
      pool.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
