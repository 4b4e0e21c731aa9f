import { request } from "node:http";
import type { Socket } from "node:net";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { ResponseParser } from "../src/upstream/parser.ts";
import { eachRequestHead, loopback, send, startRawServer, proxyTest as test } from "./helpers.ts";

/**
 * Nothing a target sends can crash the proxy: malformed responses, over real sockets, each end that one
 * request with a 502 (or reach the client as far as they were valid) and the next request is served.
 */

const normal = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/**
 * A raw target: `/case/<n>` answers the bytes registered for case n and closes the connection (so any
 * framing ends); `/ok` and `/health` answer normally on a kept-alive connection.
 */
async function rawTarget(cases: Map<number, Buffer>) {
  return startRawServer((socket: Socket) =>
    eachRequestHead(socket, (_method, path) => {
      const match = /^\/case\/(\d+)$/.exec(path);
      const bytes = match ? cases.get(Number(match[1])) : undefined;
      if (bytes) {
        socket.end(bytes);
        return false;
      }
      socket.write(normal);
      return undefined;
    }),
  );
}

interface Answer {
  /** The status line the proxy sent, if it sent one. */
  status: number | undefined;
  /** The proxy cut the response off after its head (the target's body turned out invalid). */
  cut: boolean;
  error?: string;
}

/** One GET through the proxy; never rejects. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve) => {
    let status: number | undefined;
    const req = request({ host: loopback, port, path, agent: false, timeout: 10_000 }, (res) => {
      status = res.statusCode;
      res.on("data", () => {});
      res.on("end", () => resolve({ status, cut: !res.complete }));
      res.on("error", () => resolve({ status, cut: true }));
      res.on("aborted", () => resolve({ status, cut: true }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (error) => resolve({ status, cut: status !== undefined, error: error.message }));
    req.end();
  });
}

/**
 * What the proxy must answer for `bytes`: the parser's head status, or 502 when no valid head came or the
 * bytes turned invalid before any body byte (the head is held back until then).
 */
function expectedStatus(bytes: Buffer): number {
  let status: number | undefined;
  let body = false;
  const parser = new ResponseParser({
    onHead: (head) => {
      status = head.status;
    },
    onBody: () => {
      body = true;
      return true;
    },
  });
  parser.reset(false);
  const result = parser.execute(bytes);
  if (result.kind === "error" && !body) return 502;
  return status ?? 502;
}

const templates = [
  "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nx-a: 1\r\n\r\nhello",
  "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\nx-b: two\r\n\r\n5;e=1\r\nhello\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n",
  "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
  "HTTP/1.0 302 Found\r\nlocation: /x\r\n\r\nclose-delimited body",
  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Internal Server Error\r\ncontent-length: 3\r\n\r\nerr",
  "HTTP/1.1 204 No Content\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n",
];

type Mutation =
  | { kind: "set"; at: number; byte: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; line: number }
  | { kind: "header"; text: string }
  | { kind: "truncate"; at: number }
  | { kind: "chunk-size"; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.constantFrom("\r", "\n", "\0", "\x01", "\x7f", " ", "\t", ":", "(", "\r\n", "\xff", ","),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant("header" as const),
    text: fc.constantFrom(
      "bad name: x",
      "x(y): z",
      "x-bad: a\x01b",
      "x-cr: a\rb",
      "content-length: 7",
      "content-length: abc",
      "content-length: 99999999999999999999",
      "transfer-encoding: chunked",
      "transfer-encoding: gzip",
      " folded",
      "x-latin: caf\xe9",
      "connection: close",
    ),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("chunk-size" as const),
    text: fc.constantFrom(
      "zz",
      "-1",
      "fffffffffffffffffff",
      "1 2",
      "0x3",
      "",
      "ffffffff",
      `3;${"e".repeat(5000)}`,
    ),
  }),
);

function mutate(template: string, mutations: Mutation[]): Buffer {
  let text = template;
  for (const m of mutations) {
    const lines = text.split("\r\n");
    switch (m.kind) {
      case "set": {
        const at = m.at % Math.max(1, text.length);
        text = text.slice(0, at) + String.fromCharCode(m.byte) + text.slice(at + 1);
        break;
      }
      case "insert": {
        const at = m.at % (text.length + 1);
        text = text.slice(0, at) + m.text + text.slice(at);
        break;
      }
      case "duplicate": {
        const headLines = Math.max(1, text.split("\r\n\r\n")[0]?.split("\r\n").length ?? 1);
        const i = m.line % headLines;
        lines.splice(i, 0, lines[i] ?? "");
        text = lines.join("\r\n");
        break;
      }
      case "header":
        lines.splice(1, 0, m.text);
        text = lines.join("\r\n");
        break;
      case "truncate":
        text = text.slice(0, m.at % (text.length + 1));
        break;
      case "chunk-size": {
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) break;
        const start = end + 4;
        const lineEnd = text.indexOf("\r\n", start);
        text = text.slice(0, start) + m.text + (lineEnd === -1 ? "\r\n" : text.slice(lineEnd));
        break;
      }
    }
  }
  return Buffer.from(text, "latin1");
}

const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 2000);

describe("malformed target responses", () => {
  test("the issue's reproducers end in 502 and the next request is served", async ({ env }) => {
    const reproducers = [
      "HTTP/1.1 200 OK\r\nx-bad: a\x01b\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nbad name: x\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nx(y): z\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nx-v: a\rb\r\ncontent-length: 2\r\n\r\nok",
    ];
    const cases = new Map(reproducers.map((r, i) => [i, Buffer.from(r, "latin1")]));
    const target = await rawTarget(cases);
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);
    for (let i = 0; i < reproducers.length; i++) {
      const answer = await get(port, `/case/${i}`);
      expect(answer, reproducers[i]).toEqual({ status: 502, cut: false });
      expect((await send(port, "/ok")).status).toBe(200);
    }
    const invalid = env.h.accessLogLines().filter((line) => line.includes("TargetResponseInvalid"));
    expect(invalid).toHaveLength(reproducers.length);
  });

  test(`${numRuns} mutated responses: each a well-formed answer, the proxy still serving`, async ({
    env,
  }) => {
    const cases = new Map<number, Buffer>();
    const target = await rawTarget(cases);
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);
    let next = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...templates),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (template, mutations) => {
          const id = next++;
          const bytes = mutate(template, mutations);
          cases.set(id, bytes);
          const answer = await get(port, `/case/${id}`);
          cases.delete(id);
          const expected = expectedStatus(bytes);
          // The proxy answered with a status line: the target's (perhaps cut off mid-body) or its own 502.
          expect(answer.status, JSON.stringify(bytes.toString("latin1"))).toBe(expected);
          if (expected === 502) expect(answer.cut).toBe(false);
          if (id % 25 === 0) expect((await get(port, "/ok")).status).toBe(200);
        },
      ),
      { numRuns, seed, endOnFailure: true },
    );
    console.log(`${numRuns} mutated responses (seed ${seed}) in ${Date.now() - started} ms`);
    expect((await get(port, "/ok")).status).toBe(200);
  });
});
