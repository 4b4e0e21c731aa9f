import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { integrationTest } from "@scaleout/testing";
import { expect } from "vitest";
import type { ResponseSink } from "../src/upstream/connection.ts";
import { TargetConnections } from "../src/upstream/pool.ts";
import { eachRequestHead, loopback, startRawServer, proxyTest as test } from "./helpers.ts";
import { readWithStops } from "./read-with-stops.ts";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * GETs `path` on a new connection (Connection: close) and reads the whole answer with a stop every few
 * chunks and a long one at first, so the proxy's writes to this client are left queued now and then:
 * the target read buffers the proxy reuses (upstream/read-buffers.ts) must then be replaced, never
 * written over.
 */
async function stutteringGet(port: number, path: string): Promise<{ head: string; body: Buffer }> {
  const socket = connect({ port, host: loopback });
  const answer = readWithStops(socket);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  const all = await answer;
  const end = all.indexOf("\r\n\r\n");
  return { head: all.subarray(0, end).toString("latin1"), body: all.subarray(end + 4) };
}

/** Writes `data` in pieces of odd sizes, so the proxy's reads end at varying offsets of the body. */
function writeInPieces(socket: Socket, data: Buffer): void {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = 1000 + ((i * 7919) % 90_000);
    socket.write(data.subarray(at, at + size));
    at += size;
  }
}

// Large bodies from plain-TCP targets are read into buffers the proxy reuses while each write to the
// client leaves whole: four clients at once, each reading with stops, over kept-alive target
// connections, get every byte of distinct random bodies.
test("large responses through reused read buffers, clients reading with stops: every byte intact", async ({
  env,
}) => {
  const size = 3 * 1024 * 1024;
  const bodies = new Map(Array.from({ length: 4 }, (_, i) => [`/b${i}`, randomBytes(size)]));
  const target = await startRawServer((socket) =>
    eachRequestHead(socket, (_method, path) => {
      const body = bodies.get(path.split("?")[0] ?? path) ?? Buffer.from("ok");
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      writeInPieces(socket, body);
      return undefined;
    }),
  );
  env.defer(() => target.close());
  const { port } = await env.h.simple([target]);
  // Twice: the second round reuses the target connections (and their buffers) of the first.
  for (let round = 0; round < 2; round++) {
    const replies = await Promise.all([...bodies.keys()].map((path) => stutteringGet(port, path)));
    for (const [i, reply] of replies.entries()) {
      const body = bodies.get(`/b${i}`) ?? Buffer.alloc(0);
      expect(reply.head).toMatch(/^HTTP\/1\.1 200 /);
      expect(reply.body.length).toBe(body.length);
      expect(sha(reply.body)).toBe(sha(body));
    }
  }
});

/**
 * A sink that keeps the chunks it is handed, uncopied, and copies each out only later (a few ms: a
 * client's write left queued), giving it back (`done`) after that copy, or never (`late` false): the
 * connection must read into a buffer again only once every chunk of it was given back.
 */
function keepingSink(late: boolean): { sink: ResponseSink; done: Promise<Buffer> } {
  const copies: Array<Promise<Buffer>> = [];
  let resolve: (body: Promise<Buffer>) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const done = new Promise<Buffer>((res, rej) => {
    resolve = (body) => res(body);
    reject = rej;
  });
  let n = 0;
  return {
    done,
    sink: {
      onResponseStart: () => {},
      onResponseData: (chunk, _last, given) => {
        if (!late) {
          copies.push(Promise.resolve(chunk));
          return true;
        }
        const wait = n++ % 4;
        copies.push(
          new Promise((res) =>
            setTimeout(() => {
              res(Buffer.from(chunk));
              given?.();
            }, wait),
          ),
        );
        return true;
      },
      onResponseEnd: () => resolve(Promise.all(copies).then((chunks) => Buffer.concat(chunks))),
      onResponseError: (error) => reject(error),
      onReadRelayed: () => {},
    },
  };
}

for (const late of [false, true])
  integrationTest(
    `a sink that ${late ? "gives each chunk back late" : "never gives its chunks back"} gets intact bytes on a kept-alive connection`,
    async () => {
      const size = 2 * 1024 * 1024;
      const bodies = [randomBytes(size), randomBytes(size), randomBytes(size)];
      let served = 0;
      const target = await startRawServer((socket) => {
        socket.on("data", () => {
          const body = bodies[served++ % bodies.length] ?? Buffer.alloc(0);
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
          writeInPieces(socket, body);
        });
      });
      const pool = new TargetConnections(loopback, target.port, {
        connectTimeoutMs: 1000,
        maxConnections: 4,
        idleDecayMs: 10_000,
      });
      try {
        for (const body of bodies) {
          const { sink, done } = keepingSink(late);
          pool.request(
            {
              head: "GET / HTTP/1.1\r\nhost: t\r\n\r\n",
              body: undefined,
              chunked: false,
              headRequest: false,
              idempotent: true,
              idleTimeoutMs: 60_000,
            },
            sink,
          );
          expect(sha(await done)).toBe(sha(body));
        }
        expect(pool.size).toBe(1);
      } finally {
        pool.close();
        await target.close();
      }
    },
  );
