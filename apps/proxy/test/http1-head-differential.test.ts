import { createServer, METHODS, maxHeaderSize, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { parseRequestHead, type RequestHeadLimits } from "@scaleout/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * core's request-head parser against node:http's llhttp on the same bytes: whether each head is accepted
 * (node dispatches a request, an upgrade or a CONNECT) or refused (clientError, or the stream ends
 * without a head) must agree. The differences listed in `deliberate` are chosen and documented in
 * docs/aws-differences.md.
 */

const limits: RequestHeadLimits = {
  maxHeadBytes: maxHeaderSize,
  maxHeaders: 2000,
  methods: new Set(METHODS),
};

type Verdict = "accepted" | "refused";

let server: Server;
let port = 0;
/** What node decided for each connection, by the client's local port. */
const decided = new Map<number, (verdict: Verdict) => void>();
const settle = (socket: Socket, verdict: Verdict) => {
  const done = decided.get(socket.remotePort ?? -1);
  decided.delete(socket.remotePort ?? -1);
  done?.(verdict);
  socket.destroy();
};

beforeAll(async () => {
  // As listeners.ts creates it (strict llhttp, 16 KiB heads, upgrades handled), but without node's own
  // Host check (an HTTP/1.1 request without Host answered 400 before any event): classifyRequest makes
  // that one after the parser, for both server sides.
  server = createServer({ connectionsCheckingInterval: 1000, requireHostHeader: false }, (req) =>
    settle(req.socket, "accepted"),
  );
  server.on("upgrade", (_req, socket: Socket) => settle(socket, "accepted"));
  server.on("connect", (_req, socket: Socket) => settle(socket, "accepted"));
  server.on("clientError", (_error, socket: Socket) => settle(socket, "refused"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address ? address.port : 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** node:http's verdict on `bytes` sent on a new connection and then ended (an unfinished head is refused). */
function nodeVerdict(bytes: Buffer): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const timer = setTimeout(() => reject(new Error("node:http decided nothing within 5 s")), 5000);
    socket.on("error", () => {});
    socket.on("connect", () => {
      decided.set(socket.localPort ?? -1, (verdict) => {
        clearTimeout(timer);
        resolve(verdict);
      });
      socket.end(bytes);
    });
    // Closed before any verdict: node dropped it silently (nothing to parse), which is a refusal.
    socket.on("close", () => {
      setTimeout(() => {
        if (!decided.has(socket.localPort ?? -1)) return;
        decided.delete(socket.localPort ?? -1);
        clearTimeout(timer);
        resolve("refused");
      }, 50);
    });
  });
}

function ourVerdict(bytes: Buffer): Verdict {
  return parseRequestHead(bytes, 0, limits).kind === "head" ? "accepted" : "refused";
}

/**
 * Where scaleout refuses what llhttp accepts, on purpose (docs/aws-differences.md): each is a request
 * that RFC 9112 lets or tells a server refuse, and that the proxy would otherwise pass to classifyRequest
 * (which refuses most of them in its default mode, and forwards them in monitor mode).
 */
const deliberate: Array<[name: string, test: (head: string) => boolean]> = [
  // llhttp takes 0.9 and 2.0 (and a request line without a version, as 0.9): classifyRequest answered 505.
  ["a version other than HTTP/1.0 or 1.1", (h) => !/^[^\r\n ]+ [^\r\n ]+ HTTP\/1\.[01]\r\n/.test(h)],
  // RFC 9112 3: single spaces; llhttp skips extra ones.
  ["more than one space in the request line", (h) => /^[^\r\n]* {2}/.test(h)],
  // llhttp skips a lone CR before a request line; a bare CR is refused everywhere else.
  ["a bare CR before the request line", (h) => /^\r(?!\n)/.test(h)],
  // RFC 9112 6.3: a request whose final transfer coding is not chunked cannot be framed: 400 and close.
  // llhttp lets it through and classifyRequest refuses it (severe) unless in monitor mode.
  ["a final transfer coding other than chunked", (h) => finalCodingIsNotChunked(h)],
  // Beyond 2^53 - 1 bytes: no body that large is proxied; llhttp takes up to 2^64 - 1.
  ["a Content-Length of 16 digits or more", (h) => /\r\ncontent-length:[ \t]*\d{16}/i.test(h)],
];

function finalCodingIsNotChunked(head: string): boolean {
  const end = head.indexOf("\r\n\r\n");
  const codings = [
    ...head.slice(0, end < 0 ? head.length : end).matchAll(/\r\ntransfer-encoding:([^\r\n]*)/gi),
  ].map((m) => m[1] ?? "");
  if (codings.length === 0) return false;
  return (codings.join(",").split(",").pop() ?? "").trim().toLowerCase() !== "chunked";
}

/** The first deliberate difference a head shows, if node accepts it and we refuse it. */
function deliberately(text: string, theirs: Verdict, ours: Verdict): string | undefined {
  if (theirs !== "accepted" || ours !== "refused") return undefined;
  return deliberate.find(([, test]) => test(text))?.[0];
}

const cases: string[] = [
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "GET / HTTP/1.0\r\n\r\n",
  "\r\nGET / HTTP/1.1\r\n\r\n",
  "GET / HTTP/1.1\nHost: a\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\n\n",
  "GET / HTTP/1.1\r\nHost: a\rb: c\r\n\r\n",
  "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
  "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",
  "GET / HTTP/1.1\r\nA : b\r\n\r\n",
  "GET / HTTP/1.1\r\n A: b\r\n\r\n",
  "GET / HTTP/1.1\r\n: b\r\n\r\n",
  "GET / HTTP/1.1\r\nA\0: b\r\n\r\n",
  "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n",
  "GET / HTTP/1.1\r\nA: b\x7fc\r\n\r\n",
  "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n",
  "GET / HTTP/1.1\r\nA: caf\xe9\r\n\r\n",
  "GET / HTTP/1.1\r\nA(: b\r\n\r\n",
  "GET / HTTP/1.1\r\nA\xe9: b\r\n\r\n",
  "GET /caf\xe9 HTTP/1.1\r\n\r\n",
  "GET /a\x7f HTTP/1.1\r\n\r\n",
  "GET  / HTTP/1.1\r\n\r\n",
  "GET / HTTP/1.1 \r\n\r\n",
  "GET / http/1.1\r\n\r\n",
  "GET / HTTP/1.2\r\n\r\n",
  "GET / HTTP/2.0\r\n\r\n",
  "GET / HTTP/0.9\r\n\r\n",
  "GET /\r\n\r\n",
  "get / HTTP/1.1\r\n\r\n",
  "BREW / HTTP/1.1\r\n\r\n",
  "M-SEARCH * HTTP/1.1\r\n\r\n",
  "CONNECT a:443 HTTP/1.1\r\n\r\n",
  "GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
  "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
  "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length:  5 \r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
  "POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
  "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked;a=b\r\n\r\n",
  "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  `GET /${"a".repeat(maxHeaderSize)} HTTP/1.1\r\n\r\n`,
  `GET / HTTP/1.1\r\nA: ${"b".repeat(maxHeaderSize)}\r\n\r\n`,
];

describe("request heads: core's parser against node:http", () => {
  it("agrees on hand-written hostile heads", async () => {
    const disagreements: string[] = [];
    for (const text of cases) {
      const bytes = Buffer.from(text, "latin1");
      const [theirs, ours] = [await nodeVerdict(bytes), ourVerdict(bytes)];
      if (theirs !== ours && !deliberately(text, theirs, ours))
        disagreements.push(`${JSON.stringify(text.slice(0, 80))}: node ${theirs}, ours ${ours}`);
    }
    expect(disagreements).toEqual([]);
  });

  it("agrees on valid heads with hostile bytes inserted", async () => {
    const hostile = fc.constantFrom(
      "\r",
      "\n",
      "\r\n",
      "\0",
      "\t",
      " ",
      ":",
      ",",
      "\x7f",
      "\x80",
      "\xff",
      "\x0b",
      "\r\n ",
      "\r\n\r\n",
      "Content-Length: 3\r\n",
      "Transfer-Encoding: chunked\r\n",
      "chunked",
      "Connection: close\r\n",
      "HTTP/1.1",
    );
    const base = fc.constantFrom(
      "GET /a?b HTTP/1.1\r\nHost: h\r\nX-Y: z w\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
      "PUT /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h\r\n\r\n0\r\n\r\n",
    );
    const samples = fc.sample(
      fc.tuple(base, fc.array(fc.tuple(hostile, fc.nat()), { minLength: 1, maxLength: 3 })),
      {
        numRuns: 250,
        seed: 1009,
      },
    );
    const disagreements: string[] = [];
    for (const [start, inserts] of samples) {
      let text = start;
      for (const [piece, where] of inserts) {
        const at = where % (text.length + 1);
        text = text.slice(0, at) + piece + text.slice(at);
      }
      const bytes = Buffer.from(text, "latin1");
      const [theirs, ours] = [await nodeVerdict(bytes), ourVerdict(bytes)];
      if (theirs !== ours && !deliberately(text, theirs, ours))
        disagreements.push(`${JSON.stringify(text)}: node ${theirs}, ours ${ours}`);
    }
    expect(disagreements).toEqual([]);
  });
});
