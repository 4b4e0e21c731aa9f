import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { parseRequestHead } from "@scaleout/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Http1ClientResponse } from "../src/client-messages.ts";
import { headLimits } from "../src/http1/connection.ts";
import { Http1Request, headersOf } from "../src/http1/request.ts";
import { Http1Response } from "../src/http1/response.ts";

/**
 * The own server side's request and response objects against node:http's IncomingMessage and
 * ServerResponse on the same bytes: the joined `headers` view of a request, and the bytes a response puts
 * on the wire (its Date aside) for the calls the proxy makes.
 */

/** What the server side under test does with one request. */
type Script = (res: Http1ClientResponse) => void;
let script: Script = () => {};

let nodeServer: Server;
let ownServer: NetServer;
let nodePort = 0;
let ownPort = 0;
const seenHeaders: Array<{ raw: string[]; headers: IncomingMessage["headers"] }> = [];

const portOf = (server: Server | NetServer) => {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
};

beforeAll(async () => {
  nodeServer = createServer({ requireHostHeader: false }, (req: IncomingMessage, res: ServerResponse) => {
    seenHeaders.push({ raw: req.rawHeaders, headers: req.headers });
    script(res);
  });
  // One request a connection, answered by an Http1Response on the accepted socket.
  ownServer = createNetServer((socket: Socket) => {
    let bytes = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const parsed = parseRequestHead(bytes, 0, headLimits);
      if (parsed.kind !== "head") return;
      socket.removeAllListeners("data");
      const req = new Http1Request(parsed.head, socket);
      const res = new Http1Response(
        req,
        socket,
        { responseFinished: () => socket.end(), reusable: true },
        5000,
      );
      res.shouldKeepAlive = parsed.head.keepAlive;
      script(res);
    });
  });
  await new Promise<void>((resolve) => nodeServer.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => ownServer.listen(0, "127.0.0.1", resolve));
  nodePort = portOf(nodeServer);
  ownPort = portOf(ownServer);
});

afterAll(async () => {
  nodeServer.closeAllConnections();
  await new Promise((resolve) => nodeServer.close(resolve));
  await new Promise((resolve) => ownServer.close(resolve));
});

/** Whether `text` holds a whole response: its head, and its body by its framing. */
function whole(text: string, request: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const head = text.slice(0, end).toLowerCase();
  const body = text.slice(end + 4);
  if (request.startsWith("HEAD ") || / (204|304) /.test(head.slice(0, 16))) return true;
  if (head.includes("transfer-encoding: chunked")) return body.endsWith("0\r\n\r\n");
  const length = /content-length: (\d+)/.exec(head);
  return length !== null && body.length >= Number(length[1]);
}

/** Sends `request` on a new connection and answers what came back: a whole response, or all until close. */
async function exchange(port: number, request: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  socket.setEncoding("latin1");
  let text = "";
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  socket.on("data", (chunk: string) => {
    text += chunk;
    if (whole(text, request)) done();
  });
  socket.on("close", () => done());
  socket.write(request, "latin1");
  await finished;
  socket.destroy();
  return comparable(text);
}

/**
 * A response as the comparison reads it: Date blanked, and a chunked body as one chunk. How writes in
 * one tick become chunks is node's choice (Node 24's ServerResponse merges them, Node 20's does not);
 * the bytes a client reads out of them are what must agree.
 */
function comparable(text: string): string {
  const dated = text.replace(/\r\nDate: [^\r]*/i, "\r\nDate: -");
  const end = dated.indexOf("\r\n\r\n");
  if (end === -1 || !/transfer-encoding: chunked/i.test(dated.slice(0, end))) return dated;
  let rest = dated.slice(end + 4);
  let data = "";
  for (;;) {
    const line = rest.indexOf("\r\n");
    if (line === -1) return dated;
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (Number.isNaN(size)) return dated;
    if (size === 0) break;
    data += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return `${dated.slice(0, end + 4)}${data.length.toString(16)}\r\n${data}\r\n0\r\n\r\n`;
}

async function bothAnswer(request: string, run: Script): Promise<{ node: string; own: string }> {
  script = run;
  const node = await exchange(nodePort, request);
  const own = await exchange(ownPort, request);
  return { node, own };
}

const get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

describe("Http1Response writes what ServerResponse writes", () => {
  const cases: Array<[string, string, Script]> = [
    [
      "a relayed head and a small body joined to it",
      get,
      (res) => {
        res.writeHead(200, [
          "content-type",
          "text/plain",
          "content-length",
          "5",
          "set-cookie",
          "a=1",
          "set-cookie",
          "b=2",
        ]);
        res.end("hello", "latin1");
      },
    ],
    [
      "a relayed head without a length, a body in pieces (chunked)",
      get,
      (res) => {
        res.writeHead(201, ["x-a", "1"]);
        res.write(Buffer.from("first "));
        res.write(Buffer.from("second"));
        res.end();
      },
    ],
    [
      "no head written, ended with a body (implicit Content-Length)",
      get,
      (res) => {
        res.end("implicit");
      },
    ],
    [
      "an object head with a list and a number",
      get,
      (res) => {
        res.writeHead(503, { server: "awselb/2.0", "content-length": 3, "set-cookie": ["x=1", "y=2"] });
        res.end("abc");
      },
    ],
    [
      "setHeader beside a writeHead list that names the same field",
      get,
      (res) => {
        res.setHeader("x-scaleout-worker", "7");
        res.setHeader("X-Gone", "1");
        res.writeHead(200, ["x-gone", "2", "content-length", "0"]);
        res.end();
      },
    ],
    [
      "204 with a body: no body, no framing",
      get,
      (res) => {
        res.statusCode = 204;
        res.end("ignored");
      },
    ],
    [
      "304 after a relayed head",
      get,
      (res) => {
        res.writeHead(304, ["etag", '"x"']);
        res.end();
      },
    ],
    [
      "HEAD: the head only",
      "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
      (res) => {
        res.writeHead(200, ["content-length", "10"]);
        res.end("0123456789");
      },
    ],
    [
      "HTTP/1.0 without keep-alive, no length: the connection is the frame",
      "GET / HTTP/1.0\r\n\r\n",
      (res) => {
        res.writeHead(200, ["x-a", "1"]);
        res.write(Buffer.from("ten bytes!"));
        res.end();
      },
    ],
    [
      "HTTP/1.0 with keep-alive and a length",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      (res) => {
        res.writeHead(200, ["content-length", "2"]);
        res.end("ok");
      },
    ],
    [
      "a client asking to close",
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      (res) => {
        res.writeHead(200, ["content-length", "2"]);
        res.end("ok");
      },
    ],
    [
      "shouldKeepAlive turned off by the proxy",
      get,
      (res) => {
        res.shouldKeepAlive = false;
        res.writeHead(400, { "content-length": 0 });
        res.end();
      },
    ],
    [
      "flushHeaders, then nothing",
      get,
      (res) => {
        res.writeHead(200, ["content-length", "0"]);
        res.flushHeaders();
        res.end();
      },
    ],
  ];

  for (const [name, request, run] of cases) {
    it(name, async () => {
      const { node, own } = await bothAnswer(request, run);
      expect(own).toBe(node);
      expect(own.startsWith("HTTP/1.1 ")).toBe(true);
    });
  }

  it("refuses what ServerResponse refuses: a control character in a value, a bad name", () => {
    const socket = connect(nodePort, "127.0.0.1");
    const req = new Http1Request(
      {
        method: "GET",
        url: "/",
        httpVersion: "1.1",
        rawHeaders: [],
        body: "none",
        contentLength: 0,
        keepAlive: true,
        upgrade: false,
        expectContinue: false,
      },
      socket,
    );
    const owner = { responseFinished: () => {}, reusable: true };
    expect(() => new Http1Response(req, socket, owner, 5000).writeHead(200, ["x-a", "a\nb"])).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CHAR" }),
    );
    // A refused 304 head leaves the response able to answer 502 with its body.
    const refused = new Http1Response(req, socket, owner, 5000);
    expect(() => refused.writeHead(304, ["etag", "a\u0001"])).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_CHAR" }),
    );
    expect(refused.headersSent).toBe(false);
    refused.writeHead(502, ["content-length", "3"]);
    expect(Reflect.get(refused, "hasBody")).toBe(true);
    expect(() => new Http1Response(req, socket, owner, 5000).writeHead(200, ["bad name", "1"])).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_HTTP_TOKEN" }),
    );
    socket.destroy();
  });
});

describe("headersOf joins fields as IncomingMessage does", () => {
  const names = [
    "Host",
    "host",
    "HOST",
    "Content-Type",
    "User-Agent",
    "Cookie",
    "cookie",
    "Set-Cookie",
    "Accept",
    "X-Forwarded-For",
    "x-forwarded-for",
    "Authorization",
    "Referer",
    "Connection",
    "Date",
    "ETag",
    "If-None-Match",
    "Max-Forwards",
    "Vary",
    "X-Custom",
    "x-custom",
    "From",
    "Age",
    "Location",
    "Server",
    "Expires",
    "Retry-After",
    "If-Modified-Since",
    "Last-Modified",
    "Proxy-Authorization",
    "Transfer-Encoding-X",
  ];

  it("on random field lists (names of every kind, repeated, in any case)", async () => {
    const field = fc.tuple(fc.constantFrom(...names), fc.stringMatching(/^[a-z0-9=;, ]{0,8}$/));
    await fc.assert(
      fc.asyncProperty(fc.array(field, { maxLength: 12 }), async (fields) => {
        seenHeaders.length = 0;
        let head = "GET / HTTP/1.1\r\n";
        for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
        script = (res) => {
          res.shouldKeepAlive = false;
          res.end();
        };
        await exchange(nodePort, `${head}\r\n`);
        const seen = seenHeaders[0];
        expect(seen).toBeDefined();
        if (!seen) return;
        expect(headersOf(seen.raw)).toEqual({ ...seen.headers });
      }),
      { numRuns: 60 },
    );
  });
});
