import { IncomingMessage, METHODS, maxHeaderSize, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  ChunkedDecoder,
  parseRequestHead,
  type RequestHeadFields,
  type RequestHeadLimits,
} from "@scaleout/core";

/** What a connection asks of its server: where requests and upgrades go, and its waiting sweep. */
export interface ConnectionOwner {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** The connection waits for a head (the server's sweep times it out), or is serving one. */
  waiting(connection: Http1Connection, waiting: boolean): void;
}

export const headLimits: RequestHeadLimits = {
  maxHeadBytes: maxHeaderSize,
  maxHeaders: 2000,
  methods: new Set(METHODS),
};

/** ServerResponse decides `_last` (connection: close sent, or keep-alive off) when it writes its head. */
type LastResponse = ServerResponse & { _last?: boolean };

const refusal = (status: 400 | 431) =>
  `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Request Header Fields Too Large"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;

/**
 * One client connection of the own HTTP/1.1 server side: reads heads with core's strict parser, hands
 * each request to the proxy as node:http's own IncomingMessage and ServerResponse (driven from here, not
 * from node:http's Server and llhttp), streams request bodies with backpressure, and serves requests one
 * at a time: pipelined bytes wait (the socket paused) until the response before them has finished.
 */
export class Http1Connection {
  private buffered: Buffer | undefined;
  private scanned = 0;
  /** The request whose body is being read: bytes left (Content-Length) or its chunked decoder. */
  private body: { req: IncomingMessage; left: number; chunked: ChunkedDecoder | undefined } | undefined;
  private inFlight = false;
  private closed = false;
  /** The request being answered and its response, until the response finishes. */
  private current: { req: IncomingMessage; res: ServerResponse } | undefined;
  /** While waiting for a head: since when (ms), and whether no byte of it has come (keep-alive idle). */
  waitingSince = 0;
  idle = true;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("timeout", () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClose());
    socket.on("end", () => this.onEnd());
    // ServerResponse waits for 'drain' on itself: node:http's server relays the socket's.
    socket.on("drain", () => {
      const res = this.current?.res;
      if (res?.writableNeedDrain) res.emit("drain");
    });
    this.waitForHead(true);
  }

  /** Ends the connection if it is between requests (closeIdleConnections). */
  closeIfIdle(): boolean {
    if (this.inFlight || this.body) return false;
    this.socket.destroy();
    return true;
  }

  /**
   * The client ended its side. As node:http (allowHalfOpen off for HTTP): a request in flight is
   * aborted (the proxy logs 460 and cancels its target exchange) and the connection is ended.
   */
  private onEnd(): void {
    const current = this.current;
    if (current && !current.req.destroyed) current.req.destroy(aborted());
    if (current) current.res.shouldKeepAlive = false;
    if (this.socket.writable) this.socket.end();
  }

  private waitForHead(idle: boolean): void {
    // No socket timer: one costs a refresh on every read and write. The server's sweep enforces these.
    this.waitingSince = Date.now();
    this.idle = idle;
    this.owner.waiting(this, true);
  }

  private onData(chunk: Buffer): void {
    if (this.body) {
      this.feedBody(chunk);
      return;
    }
    this.append(chunk);
    if (!this.inFlight) this.next();
    else this.socket.pause(); // a pipelined request waits for the response before it
  }

  private append(chunk: Buffer): void {
    if (this.buffered === undefined || this.buffered.length === 0) this.buffered = chunk;
    else this.buffered = Buffer.concat([this.buffered, chunk]);
  }

  /** Parses the next head from what has arrived, and serves it. */
  private next(): void {
    const bytes = this.buffered;
    if (bytes === undefined || bytes.length === 0) return;
    // The head's first bytes: from here headersTimeout applies, not keepAliveTimeout.
    if (this.idle) this.waitForHead(false);
    const result = parseRequestHead(bytes, 0, headLimits, this.scanned);
    if (result.kind === "incomplete") {
      this.scanned = bytes.length;
      return;
    }
    this.scanned = 0;
    if (result.kind === "invalid") {
      this.buffered = undefined;
      this.inFlight = true;
      this.owner.waiting(this, false);
      this.socket.end(refusal(result.status));
      return;
    }
    const rest = bytes.subarray(result.length);
    this.buffered = undefined;
    this.serve(result.head, rest);
  }

  private serve(head: RequestHeadFields, rest: Buffer): void {
    const socket = this.socket;
    const req = new IncomingMessage(socket);
    req.method = head.method;
    req.url = head.url;
    req.httpVersion = head.httpVersion;
    req.httpVersionMajor = 1;
    req.httpVersionMinor = head.httpVersion === "1.1" ? 1 : 0;
    // As node:http's parser hands them over: `headers` is then built from rawHeaders on first use, with
    // node's own joining rules (duplicates joined, set-cookie a list, some kept first only).
    (req as IncomingMessage & { _addHeaderLines(headers: string[], n: number): void })._addHeaderLines(
      head.rawHeaders,
      head.rawHeaders.length,
    );
    this.inFlight = true;
    this.owner.waiting(this, false);
    if (head.upgrade) {
      (req as IncomingMessage & { upgrade: boolean }).upgrade = true;
      req.complete = true;
      req.push(null);
      socket.removeAllListeners("data");
      socket.removeAllListeners("timeout");
      socket.removeAllListeners("end");
      this.closed = true; // the tunnel owns the socket now
      this.owner.upgrade(req, socket, rest);
      return;
    }
    const res: LastResponse = new ServerResponse(req);
    res.shouldKeepAlive = head.keepAlive;
    res.assignSocket(socket);
    this.current = { req, res };
    res.once("finish", () => this.finished(req, res));
    if (head.body === "none") {
      req.complete = true;
      req.push(null);
    } else {
      this.body = {
        req,
        left: head.contentLength,
        chunked: head.body === "chunked" ? new ChunkedDecoder() : undefined,
      };
      // Backpressure: the proxy reading the body resumes the socket.
      req._read = () => socket.resume();
    }
    if (head.expectContinue) res.writeContinue();
    this.owner.request(req, res);
    if (rest.length > 0) this.onData(rest);
  }

  private feedBody(chunk: Buffer): void {
    const body = this.body;
    if (!body) return;
    let data = chunk;
    let rest: Buffer | undefined;
    let done = false;
    if (body.chunked) {
      const decoded = body.chunked.decode(chunk);
      if (decoded.kind === "invalid") {
        body.req.destroy(new Error(`bad chunked body: ${decoded.reason}`));
        this.socket.destroy();
        return;
      }
      data = decoded.data;
      done = decoded.kind === "done";
      if (decoded.kind === "done") rest = decoded.rest;
    } else if (chunk.length >= body.left) {
      data = chunk.subarray(0, body.left);
      rest = chunk.subarray(body.left);
      done = true;
    } else body.left -= chunk.length;
    const more = data.length === 0 || body.req.push(data);
    if (done) {
      this.body = undefined;
      body.req.complete = true;
      body.req.push(null);
      if (rest && rest.length > 0) this.onData(rest);
    } else if (!more) this.socket.pause();
  }

  private finished(req: IncomingMessage, res: LastResponse): void {
    const socket = this.socket;
    res.detachSocket(socket);
    this.inFlight = false;
    this.current = undefined;
    // As node:http's server: a finished response then closes (its 'close' listeners run).
    process.nextTick(emitClose, res);
    // A body not read to its end, or a response that said it was the last: the connection ends here.
    if (res._last === true || !req.complete || this.closed || socket.readableEnded) {
      this.body = undefined;
      socket.end();
      return;
    }
    socket.resume();
    this.waitForHead(true);
    this.next();
  }

  private onClose(): void {
    this.closed = true;
    this.owner.waiting(this, false);
    const body = this.body;
    this.body = undefined;
    // As node:http: a request whose body never finished is aborted.
    if (body && !body.req.complete)
      body.req.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
  }
}

function emitClose(res: ServerResponse): void {
  if (res.destroyed) return;
  res.destroyed = true;
  res.emit("close");
}

/** node:http's error for a request whose client went away. */
function aborted(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}
