import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRequestHead, type RequestHeadLimits, type RequestHeadResult } from "./http1-request-head.ts";

const methods = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"]);
const limits: RequestHeadLimits = { maxHeadBytes: 16 * 1024, maxHeaders: 100, methods };

const bytes = (text: string) => Buffer.from(text, "latin1");
const parse = (text: string, at = limits): RequestHeadResult => parseRequestHead(bytes(text), 0, at);
const head = (text: string) => {
  const result = parse(text);
  if (result.kind !== "head") throw new Error(`not a head: ${JSON.stringify(result)}`);
  return result.head;
};
const reason = (text: string) => {
  const result = parse(text);
  return result.kind === "invalid" ? result.reason : result.kind;
};

describe("parseRequestHead", () => {
  it("reads a request line and its fields, values without surrounding whitespace", () => {
    const result = parse("GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A: \t one two \t\r\nEmpty:\r\n\r\nbody");
    expect(result).toMatchObject({ kind: "head", length: 58 });
    expect(head("GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A: \t one two \t\r\nEmpty:\r\n\r\n")).toEqual({
      method: "GET",
      url: "/a?b=c",
      httpVersion: "1.1",
      rawHeaders: ["Host", "x", "X-A", "one two", "Empty", ""],
      body: "none",
      contentLength: 0,
      keepAlive: true,
      upgrade: false,
      expectContinue: false,
    });
  });

  it("waits for the blank line, and skips empty lines before the request line", () => {
    expect(parse("GET / HTTP/1.1\r\nHost: x\r\n")).toEqual({ kind: "incomplete" });
    expect(parse("")).toEqual({ kind: "incomplete" });
    expect(parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n")).toMatchObject({ kind: "head", length: 22 });
  });

  it("frames bodies by Content-Length or chunked, and refuses what could be read two ways", () => {
    expect(head("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n")).toMatchObject({
      body: "length",
      contentLength: 12,
    });
    expect(head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).toMatchObject({ body: "none" });
    expect(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n")).toMatchObject({
      body: "chunked",
    });
    expect(reason("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n")).toBe(
      "DuplicateContentLength",
    );
    expect(reason("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n")).toBe("BadContentLength");
    expect(reason("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n")).toBe("BadContentLength");
    expect(reason("POST / HTTP/1.1\r\nContent-Length: 9999999999999999\r\n\r\n")).toBe("BadContentLength");
    expect(reason("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe(
      "ContentLengthWithTransferEncoding",
    );
    expect(reason("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")).toBe("BadTransferEncoding");
    expect(reason("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n")).toBe(
      "BadTransferEncoding",
    );
  });

  it("refuses bare CR and LF, obs-fold, spaces before a colon and control characters", () => {
    expect(reason("GET / HTTP/1.1\nHost: x\r\n\r\n")).toBe("BareLineFeed");
    expect(reason("GET / HTTP/1.1\r\nHost: x\n\r\n")).toBe("BareLineFeed");
    expect(reason("GET / HTTP/1.1\r\nHost: x\ry: z\r\n\r\n")).toBe("BareCarriageReturn");
    expect(reason("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")).toBe("ObsFold");
    expect(reason("GET / HTTP/1.1\r\nHost : x\r\n\r\n")).toBe("BadHeaderName");
    expect(reason("GET / HTTP/1.1\r\n: x\r\n\r\n")).toBe("BadHeaderName");
    expect(reason("GET / HTTP/1.1\r\nA: x\0y\r\n\r\n")).toBe("BadHeaderValue");
    expect(reason("GET / HTTP/1.1\r\nA: x\x7fy\r\n\r\n")).toBe("BadHeaderValue");
    expect(head("GET / HTTP/1.1\r\nA: caf\xe9\r\n\r\n").rawHeaders).toEqual(["A", "caf\xe9"]);
  });

  it("refuses a malformed request line and methods llhttp does not know", () => {
    expect(reason("GET  / HTTP/1.1\r\n\r\n")).toBe("BadRequestTarget");
    expect(reason("GET / HTTP/1.1 \r\n\r\n")).toBe("BadVersion");
    expect(reason("GET / HTTP/2.0\r\n\r\n")).toBe("BadVersion");
    expect(reason("GET /\r\n\r\n")).toBe("BadRequestTarget");
    expect(reason("GET /caf\xe9 HTTP/1.1\r\n\r\n")).toBe("BadRequestTarget");
    expect(reason("BREW / HTTP/1.1\r\n\r\n")).toBe("UnknownMethod");
    expect(reason("get / HTTP/1.1\r\n\r\n")).toBe("UnknownMethod");
    expect(reason("G(T / HTTP/1.1\r\n\r\n")).toBe("BadMethod");
  });

  it("reads keep-alive, upgrade and 100-continue as node:http does", () => {
    expect(head("GET / HTTP/1.1\r\nConnection: Keep-Alive, close\r\n\r\n").keepAlive).toBe(false);
    expect(head("GET / HTTP/1.0\r\n\r\n").keepAlive).toBe(false);
    expect(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive).toBe(true);
    expect(head("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").upgrade).toBe(true);
    expect(head("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").upgrade).toBe(false);
    expect(head("CONNECT a:443 HTTP/1.1\r\n\r\n").upgrade).toBe(true);
    expect(head("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n").expectContinue).toBe(true);
    expect(head("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expectContinue).toBe(false);
  });

  it("bounds the head and its field count", () => {
    const small = { ...limits, maxHeadBytes: 64, maxHeaders: 2 };
    expect(parse(`GET /${"a".repeat(80)}`, small)).toMatchObject({ kind: "invalid", status: 431 });
    expect(parse(`GET /${"a".repeat(80)} HTTP/1.1\r\n\r\n`, small)).toMatchObject({ status: 431 });
    expect(parse("\r\n".repeat(40), small)).toMatchObject({ status: 431 });
    expect(parse("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", small)).toMatchObject({
      reason: "TooManyHeaders",
    });
  });
});

// ---- Properties ------------------------------------------------------------------------------------

const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const token = fc.string({ unit: fc.constantFrom(...tchars), minLength: 1, maxLength: 12 });
const visible = fc
  .integer({ min: 0x21, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => String.fromCharCode(c));
const fieldValue = fc
  .string({ unit: fc.oneof(visible, fc.constant(" "), fc.constant("\t")), maxLength: 20 })
  .map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ""));
const plainName = token.filter(
  (n) =>
    !["content-length", "transfer-encoding", "connection", "upgrade", "expect"].includes(n.toLowerCase()),
);
const request: fc.Arbitrary<Request> = fc.record({
  method: fc.constantFrom(...methods),
  url: fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 30,
  }),
  minor: fc.constantFrom(0, 1),
  headers: fc.array(fc.tuple(plainName, fieldValue), { maxLength: 8 }),
});
interface Request {
  method: string;
  url: string;
  minor: number;
  headers: Array<[string, string]>;
}
const serialise = (r: Request) =>
  `${r.method} ${r.url} HTTP/1.${r.minor}\r\n${r.headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;

describe("parseRequestHead, properties", () => {
  it("reads back what was written, whole or resumed across any split", () => {
    fc.assert(
      fc.property(request, fc.nat(), (r, cut) => {
        const text = serialise(r);
        const whole = parse(text);
        expect(whole).toMatchObject({ kind: "head", length: text.length });
        if (whole.kind !== "head") return;
        expect(whole.head).toMatchObject({ method: r.method, url: r.url, httpVersion: `1.${r.minor}` });
        expect(whole.head.rawHeaders).toEqual(r.headers.flat());
        // Resuming from a partial scan (as a connection does read by read) gives the same head.
        const at = cut % text.length;
        expect(parseRequestHead(bytes(text.slice(0, at)), 0, limits)).toEqual({ kind: "incomplete" });
        expect(parseRequestHead(bytes(text), 0, limits, at)).toEqual(whole);
      }),
    );
  });

  it("refuses a head with a bare CR, a bare LF, a NUL or a fold inserted in a field line", () => {
    const bad = fc.constantFrom("\r", "\n", "\0", "\r\n ");
    fc.assert(
      fc.property(request, bad, fc.nat(), (r, insert, where) => {
        fc.pre(r.headers.length > 0);
        const lines = serialise(r).split("\r\n");
        // A field line (index 1..headers), somewhere after its name's first character.
        const line = 1 + (where % r.headers.length);
        const text = lines[line] ?? "";
        const at = 1 + (where % text.length);
        lines[line] = text.slice(0, at) + insert + text.slice(at);
        expect(parse(lines.join("\r\n")).kind).toBe("invalid");
      }),
    );
  });

  it("never throws on arbitrary bytes, and what it accepts is well formed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const result = parseRequestHead(input, 0, limits);
        if (result.kind !== "head") return;
        expect(result.length).toBeLessThanOrEqual(input.length);
        for (let i = 0; i < result.head.rawHeaders.length; i += 2) {
          expect(result.head.rawHeaders[i]).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(result.head.rawHeaders[i + 1]).not.toMatch(/[\0\r\n]/);
        }
      }),
    );
  });
});
