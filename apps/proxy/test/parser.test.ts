import { describe, expect, test } from "vitest";
import { maxHeadBytes, type ResponseHead, ResponseParser } from "../src/upstream/parser.ts";

/** What the parser made of a response fed in the given pieces (its flat field list as a record). */
interface Outcome {
  head: Omit<ResponseHead, "fields" | "connection"> & { headers: Record<string, string | string[]> };
  body: string;
  /** complete (with the bytes after the response), more (incomplete), or the error. */
  end: string;
}

function parse(
  pieces: string[],
  headRequest = false,
): Outcome | { error: string; headSeen: boolean } | { incomplete: true } {
  let head: Outcome["head"] | undefined;
  let body = "";
  const parser = new ResponseParser({
    onHead: ({ fields, connection: _connection, ...rest }) => {
      const headers: Record<string, string | string[]> = {};
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i] as string;
        const value = fields[i + 1] as string;
        const existing = headers[name];
        headers[name] = existing === undefined ? value : [existing, value].flat();
      }
      head = { ...rest, headers };
    },
    onBody: (chunk) => {
      body += chunk.toString("latin1");
      return true;
    },
  });
  parser.reset(headRequest);
  let end = "more";
  for (const piece of pieces) {
    const result = parser.execute(Buffer.from(piece, "latin1"));
    if (result.kind === "error") return { error: result.reason, headSeen: head !== undefined };
    if (result.kind === "complete") {
      end = `complete+${result.extra}`;
      break;
    }
  }
  if (!head) return { incomplete: true };
  return { head, body, end };
}

/** The same bytes split at every byte boundary must parse the same way as in one piece. */
function everySplit(text: string, headRequest = false): void {
  const whole = parse([text], headRequest);
  for (let i = 1; i < text.length; i++) {
    const split = parse([text.slice(0, i), text.slice(i)], headRequest);
    expect(split, `split at ${i}`).toEqual(whole);
  }
}

const valid: Array<[string, string, Partial<Outcome["head"]>, string]> = [
  [
    "content-length",
    "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: 1\r\n\r\nhello",
    { status: 200, framing: "length", reusable: true },
    "hello",
  ],
  ["empty reason", "HTTP/1.1 204 \r\n\r\n", { status: 204, framing: "none" }, ""],
  ["no reason", "HTTP/1.1 404\r\ncontent-length: 0\r\n\r\n", { status: 404, framing: "none" }, ""],
  [
    "chunked with extensions and trailers",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1 ; x\r\n!\r\n0\r\nx-t: 1\r\n\r\n",
    { framing: "chunked", reusable: true },
    "hello!",
  ],
  [
    "obs-text and HTAB in a value",
    "HTTP/1.1 200 OK\r\nx-v: caf\xe9\tau lait \r\ncontent-length: 0\r\n\r\n",
    { headers: { "x-v": "caf\xe9\tau lait", "content-length": "0" } },
    "",
  ],
  [
    "repeated identical Content-Length",
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2, 02\r\n\r\nok",
    { headers: { "content-length": "2" }, framing: "length" },
    "ok",
  ],
  [
    "TE and CL: TE wins, not reusable, no CL for the client",
    "HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    { framing: "chunked", reusable: false, headers: { "transfer-encoding": "chunked" } },
    "ok",
  ],
  [
    "TE without chunked last: close-delimited (RFC 9112 6.3)",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nraw bytes",
    { framing: "close", reusable: false },
    "raw bytes",
  ],
  [
    "no framing: close-delimited",
    "HTTP/1.0 200 OK\r\n\r\nuntil close",
    { framing: "close", minor: 0 },
    "until close",
  ],
  [
    "HTTP/1.0 keep-alive",
    "HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\nx",
    { reusable: true, minor: 0 },
    "x",
  ],
  [
    "connection: close",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx",
    { reusable: false },
    "x",
  ],
  [
    "informational heads are skipped",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok",
    { status: 201 },
    "ok",
  ],
];

const invalid: Array<[string, string]> = [
  ["control character in a value", "HTTP/1.1 200 OK\r\nx-bad: a\x01b\r\ncontent-length: 0\r\n\r\n"],
  ["space in a name", "HTTP/1.1 200 OK\r\nbad name: x\r\ncontent-length: 0\r\n\r\n"],
  ["separator in a name", "HTTP/1.1 200 OK\r\nx(y): z\r\ncontent-length: 0\r\n\r\n"],
  ["bare CR in a value", "HTTP/1.1 200 OK\r\nx-v: a\rb\r\ncontent-length: 0\r\n\r\n"],
  ["bare LF between fields", "HTTP/1.1 200 OK\r\nx-v: a\nx-w: b\r\ncontent-length: 0\r\n\r\n"],
  ["NUL in a value", "HTTP/1.1 200 OK\r\nx-v: a\x00b\r\n\r\n"],
  ["DEL in a value", "HTTP/1.1 200 OK\r\nx-v: a\x7fb\r\n\r\n"],
  ["obs-fold", "HTTP/1.1 200 OK\r\nx-v: a\r\n  folded\r\ncontent-length: 0\r\n\r\n"],
  ["empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n"],
  ["space before the colon", "HTTP/1.1 200 OK\r\nx-v : a\r\n\r\n"],
  ["HTTP/2 version", "HTTP/2.0 200 OK\r\n\r\n"],
  ["lower-case version", "http/1.1 200 OK\r\n\r\n"],
  ["two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
  ["status 600", "HTTP/1.1 600 Nope\r\n\r\n"],
  ["status 099", "HTTP/1.1 099 Nope\r\n\r\n"],
  ["two spaces before the status", "HTTP/1.1  200 OK\r\n\r\n"],
  ["control character in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n"],
  ["101 on a plain request", "HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n"],
  ["differing Content-Length values", "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nx"],
  ["Content-Length list with different values", "HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\nx"],
  ["signed Content-Length", "HTTP/1.1 200 OK\r\ncontent-length: +1\r\n\r\nx"],
  ["hex Content-Length", "HTTP/1.1 200 OK\r\ncontent-length: 0x1\r\n\r\nx"],
  ["empty Content-Length", "HTTP/1.1 200 OK\r\ncontent-length: \r\n\r\n"],
  ["Content-Length past 2^53", "HTTP/1.1 200 OK\r\ncontent-length: 9007199254740993\r\n\r\n"],
  ["chunked not last", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n"],
  ["chunked twice", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, chunked\r\n\r\n"],
  ["non-hex chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
  ["negative chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-1\r\n"],
  ["huge chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffff\r\n"],
  ["chunk size with a space inside", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1 2\r\n"],
  ["chunk size line ending in bare LF", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\nok\r\n"],
  ["chunk data without CRLF", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n"],
  ["bad trailer", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nbad trailer: x\r\n\r\n"],
  ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"],
  [
    "101 header fields",
    `HTTP/1.1 200 OK\r\n${Array.from({ length: 101 }, (_, i) => `x-${i}: v\r\n`).join("")}\r\n`,
  ],
];

describe("ResponseParser", () => {
  test.each(valid)("accepts: %s", (_name, text, head, body) => {
    const outcome = parse([text]);
    expect(outcome).not.toHaveProperty("error");
    const ok = outcome as Outcome;
    expect(ok.head).toMatchObject(head);
    expect(ok.body).toBe(body);
    everySplit(text);
  });

  test.each(invalid)("rejects: %s", (_name, text) => {
    expect(parse([text])).toHaveProperty("error");
    for (let i = 1; i < text.length; i++)
      expect(parse([text.slice(0, i), text.slice(i)]), `split at ${i}`).toHaveProperty("error");
  });

  test("100 header fields pass; a head over 64 KiB does not, complete or not", () => {
    const hundred = `HTTP/1.1 200 OK\r\n${Array.from({ length: 100 }, (_, i) => `x-${i}: v\r\n`).join("")}\r\n`;
    expect(parse([hundred])).not.toHaveProperty("error");
    const big = `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(maxHeadBytes)}\r\n\r\n`;
    expect(parse([big])).toHaveProperty("error");
    expect(parse([big.slice(0, maxHeadBytes + 100)])).toHaveProperty("error");
  });

  test("a HEAD response has no body; bytes after a complete response are reported", () => {
    expect(parse(["HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n"], true)).toMatchObject({
      end: "complete+0",
    });
    expect(parse(["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"])).toMatchObject({
      body: "ok",
      end: "complete+5",
    });
    expect(parse(["HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nok"])).toMatchObject({ end: "more" });
  });

  test("an invalid head is refused as soon as it cannot become valid", () => {
    // No terminator yet: waiting for more would only hold the connection.
    expect(parse(["HTTP/1.1 200 OK\r\nx: a\x00"])).toHaveProperty("error");
    expect(parse(["HTTP/1.1 200 OK\r\nx: a\nb"])).toHaveProperty("error");
    expect(parse(["HTTP/1.1 200 OK\r\nx: a\r"])).toEqual({ incomplete: true });
  });

  test("a close-delimited body ends with the connection", () => {
    const parser = new ResponseParser({ onHead: () => {}, onBody: () => true });
    parser.reset(false);
    parser.execute(Buffer.from("HTTP/1.1 200 OK\r\n\r\nabc"));
    expect(parser.finishOnClose()).toBe(true);
  });
});
