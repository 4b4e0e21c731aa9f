import type { Socket } from "node:net";
import { describe, expect } from "vitest";
import { eachRequestHead, send, sleep, startRawServer, proxyTest as test } from "./helpers.ts";

/**
 * The proxy's own HTTP/1.1 client against targets that answer in every framing HTTP allows, in
 * fragments, and that drop kept-alive connections: each must reach the client intact.
 */

type Responder = (method: string, path: string, socket: Socket) => void;

/** A raw target: reads request heads (keep-alive, several per connection) and answers with `respond`. */
async function rawTarget(respond: Responder) {
  return startRawServer((socket) =>
    eachRequestHead(socket, (method, path) => {
      if (path === "/health") socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      else respond(method, path, socket);
      return undefined;
    }),
  );
}

/** Writes `text` a few bytes at a time, each piece in its own turn of the event loop. */
async function trickle(socket: Socket, text: string, piece = 3): Promise<void> {
  for (let i = 0; i < text.length; i += piece) {
    socket.write(text.slice(i, i + piece));
    await sleep(1);
  }
}

describe("the proxy's HTTP client", () => {
  test("chunked, close-delimited, empty and informational responses arrive intact", async ({ env }) => {
    const target = await rawTarget((method, path, socket) => {
      switch (path) {
        case "/chunked":
          socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-kind: chunked\r\n\r\n");
          socket.write("5;ext=1\r\nhello\r\n");
          socket.write("6\r\n world\r\n0\r\nx-trailer: ignored\r\n\r\n");
          break;
        case "/close":
          socket.end("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end");
          break;
        case "/no-content":
          socket.write("HTTP/1.1 204 No Content\r\nx-kind: empty\r\n\r\n");
          break;
        case "/continue":
          socket.write(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 7\r\n\r\ncreated",
          );
          break;
        case "/head":
          // A HEAD answer announces a length and sends no body.
          socket.write(
            `HTTP/1.1 200 OK\r\ncontent-length: ${method === "HEAD" ? 10 : 2}\r\n\r\n${method === "HEAD" ? "" : "ok"}`,
          );
          break;
        case "/cookies":
          socket.write("HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 0\r\n\r\n");
          break;
        case "/trickle":
          void trickle(
            socket,
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nslow\r\n3\r\nbut\r\n4\r\nsure\r\n0\r\n\r\n",
          );
          break;
        default:
          socket.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
      }
    });
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);

    const chunked = await send(port, "/chunked");
    expect([chunked.status, chunked.body, chunked.headers["x-kind"]]).toEqual([
      200,
      "hello world",
      "chunked",
    ]);
    const close = await send(port, "/close");
    expect([close.status, close.body]).toEqual([200, "until the end"]);
    const empty = await send(port, "/no-content");
    expect([empty.status, empty.body, empty.headers["x-kind"]]).toEqual([204, "", "empty"]);
    const created = await send(port, "/continue");
    expect([created.status, created.body]).toEqual([201, "created"]);
    const head = await send(port, "/head", { method: "HEAD" });
    expect([head.status, head.headers["content-length"], head.body]).toEqual([200, "10", ""]);
    // The connection stayed usable after the bodiless HEAD answer.
    expect((await send(port, "/head")).body).toBe("ok");
    expect((await send(port, "/cookies")).headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    const slow = await send(port, "/trickle");
    expect([slow.status, slow.body]).toEqual([200, "slowbutsure"]);
  });

  test("a large body streams through with backpressure, byte for byte", async ({ env }) => {
    const size = 8 * 1024 * 1024;
    const body = Buffer.alloc(size, "abcdefgh");
    const target = await rawTarget((_method, _path, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      socket.write(body);
    });
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);
    for (let i = 0; i < 2; i++) {
      const reply = await send(port, "/big");
      expect(reply.status).toBe(200);
      expect(reply.body.length).toBe(size);
      expect(reply.body === body.toString("utf8")).toBe(true);
    }
  });

  test("a kept-alive connection the target dropped is replaced without failing the request", async ({
    env,
  }) => {
    // The target closes every connection just after answering, without saying so (no Connection: close).
    const target = await rawTarget((_method, path, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", () =>
        setTimeout(() => socket.destroy(), 5),
      );
      void path;
    });
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);
    for (let i = 0; i < 20; i++) {
      const reply = await send(port, "/again");
      expect([reply.status, reply.body]).toEqual([200, "ok"]);
      await sleep(15);
    }
  });

  test("a response that breaks its own framing is a 502, and the connection is not reused", async ({
    env,
  }) => {
    const target = await rawTarget((_method, path, socket) => {
      if (path === "/bad-length")
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc");
      else if (path === "/bad-chunk-at-once")
        socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n");
      else if (path === "/bad-chunk") {
        socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n");
        setTimeout(() => socket.write("zz\r\n"), 20);
      } else if (path === "/folded")
        socket.write("HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 0\r\n\r\n");
      else socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    env.defer(() => target.close());
    const { port } = await env.h.simple([target]);
    expect((await send(port, "/bad-length")).status).toBe(502);
    expect((await send(port, "/folded")).status).toBe(502);
    // Invalid before any body byte: the head is held back, and the client still gets a clean 502.
    expect((await send(port, "/bad-chunk-at-once")).status).toBe(502);
    // Headers and part of the body already went out: the client's connection is cut instead.
    await expect(send(port, "/bad-chunk")).rejects.toThrow();
    expect((await send(port, "/fine")).body).toBe("ok");
  });
});
