import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { Http1Request } from "../src/http1/request.ts";
import type { Http1Response } from "../src/http1/response.ts";
import { Http1Server } from "../src/http1/server.ts";

/** The own server side on a real socket: what node:http's Server did for the proxy, done by Http1Server. */

let server: Http1Server | undefined;

afterEach(async () => {
  const open = server;
  server = undefined;
  if (open?.listening) await new Promise((resolve) => open.close(resolve));
});

async function listen(
  onRequest: (req: Http1Request, res: Http1Response) => void,
): Promise<{ server: Http1Server; port: number }> {
  const created = new Http1Server({ request: onRequest, upgrade: (_req, socket) => socket.destroy() });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, "127.0.0.1", resolve));
  const address = created.address();
  return { server: created, port: typeof address === "object" && address ? address.port : 0 };
}

/** A client socket that collects what it reads as latin1 text. */
function client(port: number): {
  socket: Socket;
  text: () => string;
  until: (part: string) => Promise<void>;
  /** Settles when the socket closes: listened for from the start, since the server may close first. */
  closed: Promise<void>;
} {
  const socket = connect(port, "127.0.0.1");
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  // A server that refuses a head closes at once: the client's later writes fail (EPIPE, ECONNRESET).
  socket.on("error", () => {});
  socket.setEncoding("latin1");
  let text = "";
  const waiters: Array<() => void> = [];
  socket.on("data", (chunk: string) => {
    text += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async (part: string) => {
    const deadline = Date.now() + 5000;
    while (!text.includes(part)) {
      if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(part)} in ${JSON.stringify(text)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { socket, text: () => text, until, closed };
}

describe("Http1Server", () => {
  it("serves pipelined requests one at a time, in order, bodies (length and chunked) streamed to the handler", async () => {
    const { port } = await listen((req, res) => {
      const body = req.body;
      if (!body) {
        res.writeHead(200, ["content-length", String(req.url.length)]);
        res.end(req.url, "latin1");
        return;
      }
      const parts: Buffer[] = [];
      body.on("data", (chunk: Buffer) => parts.push(chunk));
      body.once("end", () => res.end(`${req.url}:${Buffer.concat(parts).toString("latin1")}`));
    });
    const c = client(port);
    c.socket.write(
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
        "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
        "GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    await c.closed;
    const bodies = c
      .text()
      .split("HTTP/1.1 200 OK")
      .slice(1)
      .map((response) => response.slice(response.indexOf("\r\n\r\n") + 4));
    expect(bodies).toEqual(["/one", "/two:hello", "/three:abcde", "/four"]);
    expect(c.text()).toContain("Connection: close");
  });

  it("answers 100 Continue before the body, 417 to an expectation it does not know, 400 to a bad head", async () => {
    const { port } = await listen((req, res) => {
      req.body?.resume();
      req.body?.once("end", () => res.end("got it"));
    });
    const c = client(port);
    c.socket.write("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    await c.until("HTTP/1.1 100 Continue\r\n\r\n");
    c.socket.write("ok");
    await c.until("got it");
    c.socket.destroy();

    const unknown = client(port);
    unknown.socket.write("GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n");
    await unknown.closed;
    expect(unknown.text()).toMatch(/^HTTP\/1\.1 417 /);

    const bad = client(port);
    bad.socket.write("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    await bad.closed;
    expect(bad.text()).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("close(): a request in flight is answered with Connection: close and its connection ends; idle ones close at once", async () => {
    let answer: (() => void) | undefined;
    const { server: s, port } = await listen((_req, res) => {
      answer = () => res.end("late");
    });
    const idle = client(port);
    idle.socket.write("GET /idle HTTP/1.1\r\nHost: a\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer?.();
    await idle.until("late");
    const busy = client(port);
    busy.socket.write("GET /busy HTTP/1.1\r\nHost: a\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = new Promise((resolve) => s.close(resolve));
    s.closeIdleConnections();
    await idle.closed;
    answer?.();
    await busy.closed;
    expect(busy.text()).toContain("Connection: close");
    expect(busy.text()).toContain("late");
    await closed;
  });

  it("a body that stalls past bodyTimeout closes its connection, and its reader sees the response close", async () => {
    let closedResponse = false;
    const { server: s, port } = await listen((req, res) => {
      res.on("close", () => {
        closedResponse = true;
      });
      req.body?.resume();
    });
    s.http1.bodyTimeout = 200;
    const c = client(port);
    c.socket.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closedResponse).toBe(true);
  });

  it("hostile bytes in any split: every connection gets a response or a 400/417/431 and closes, and nothing throws", async () => {
    const { port } = await listen((req, res) => {
      req.body?.resume();
      res.shouldKeepAlive = false;
      res.end("ok");
    });
    const pieces = [
      "GET / HTTP/1.1\r\n",
      "POST /x HTTP/1.1\r\n",
      "Host: a\r\n",
      "Content-Length: 3\r\n",
      "Content-Length: 99999999999999999\r\n",
      "Transfer-Encoding: chunked\r\n",
      "Transfer-Encoding: gzip\r\n",
      "Expect: 100-continue\r\n",
      "Connection: close\r\n",
      " folded\r\n",
      "X: a\rb\r\n",
      "\r\n",
      "abc",
      "5\r\nhello\r\n0\r\n\r\n",
      "zz\r\n",
      "\u0000",
      "\n",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 4 }),
        async (parts, cuts) => {
          const bytes = Buffer.from(parts.join(""), "latin1");
          const c = client(port);
          let at = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            if (cut <= at || cut >= bytes.length) continue;
            c.socket.write(bytes.subarray(at, cut));
            at = cut;
            await new Promise((resolve) => setImmediate(resolve));
          }
          c.socket.end(bytes.subarray(at));
          const closed = await Promise.race([
            c.closed.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
          ]);
          c.socket.destroy();
          expect(
            closed,
            `still open 3 s after ${JSON.stringify(bytes.toString("latin1"))}: ${JSON.stringify(c.text())}`,
          ).toBe(true);
          const text = c.text();
          // A 100 Continue comes first when the head asked for it (node:http sends it for any method).
          if (text !== "")
            expect(text).toMatch(/^(HTTP\/1\.1 100 Continue\r\n\r\n)?HTTP\/1\.1 (200|400|417|431) /);
        },
      ),
      { numRuns: 300 },
    );
  });
});
