import { METHODS } from "node:http";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import {
  ChunkedDecoder,
  maxRequestHeadBytes,
  parseRequestHead,
  type RequestHeadFields,
  type RequestHeadLimits,
} from "@scaleout/core";
import { Http1Request } from "./request.ts";
import { Http1Response, type ResponseOwner } from "./response.ts";

/** What a connection asks of its server: where requests and upgrades go, its timeouts, and its waiting sweep. */
export interface ConnectionOwner {
  request(req: Http1Request, res: Http1Response): void;
  upgrade(req: Http1Request, socket: Socket, head: Buffer): void;
  /** The connection waits for a head (the server's sweep times it out), or is serving one. */
  waiting(connection: Http1Connection, waiting: boolean): void;
  /** Announced in each keep-alive response's Keep-Alive field, as node:http announces it. */
  readonly keepAliveTimeout: number;
  /** How long a request body may stall (0: no limit): the socket's timeout while one is read. */
  readonly bodyTimeout: number;
  /** Still accepting: once closed, each connection ends after the response it is serving. */
  readonly listening: boolean;
}

/**
 * ALB's limits, not node:http's 16 KiB head: a head may hold 64 KiB, so the classifier's own checks (a
 * request line or a field over 16 KiB: 414 RequestLineTooLong, 431 HeaderTooLarge) answer with its reasons.
 */
export const headLimits: RequestHeadLimits = {
  maxHeadBytes: maxRequestHeadBytes,
  maxHeaders: 2000,
  methods: new Set(METHODS),
};

const refusal = (status: 400 | 417 | 431) =>
  `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : status === 417 ? "Expectation Failed" : "Request Header Fields Too Large"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;

/** Where a socket's connection is found by the listeners all sockets share: no closures per connection. */
const connectionOf = Symbol("scaleout.http1Connection");
type ConnectionSocket = Socket & { [connectionOf]: Http1Connection };

function onSocketData(this: ConnectionSocket, chunk: Buffer): void {
  this[connectionOf].onData(chunk);
}
function onSocketEnd(this: ConnectionSocket): void {
  this[connectionOf].onEnd();
}
function onSocketClose(this: ConnectionSocket): void {
  this[connectionOf].onClose();
}
function onSocketDrain(this: ConnectionSocket): void {
  this[connectionOf].onDrain();
}
function destroySocket(this: Socket): void {
  this.destroy();
}
/**
 * Ends a body stream that will get no more bytes. As node:http's IncomingMessage, the error goes only to
 * a reader listening for one: without a listener it would be an uncaught exception, and whoever reads the
 * body learns of the end from the response's 'close'.
 */
function abort(stream: Readable, reason: string): void {
  if (stream.destroyed) return;
  stream.destroy(
    stream.listenerCount("error") > 0 ? Object.assign(new Error(reason), { code: "ECONNRESET" }) : undefined,
  );
}

/**
 * Ends a connection after what was written to it (node:http's destroySoon): the FIN goes out once the
 * writes are done, then the socket is destroyed, without waiting for the client's side to end: a paused
 * socket (a pipelined request waiting) would never read the client's FIN, and a client may never send it.
 */
export function endConnection(socket: Socket, last?: string): void {
  if (last === undefined) socket.end();
  else socket.end(last, "latin1");
  if (socket.writableFinished) socket.destroy();
  else socket.once("finish", destroySocket);
}

function emitClose(res: Http1Response): void {
  res.closed();
}

/** The body being read: the request it belongs to, and bytes left (Content-Length) or its chunked decoder. */
interface BodyState {
  req: Http1Request;
  stream: Readable;
  left: number;
  chunked: ChunkedDecoder | undefined;
}

/**
 * One client connection of the own HTTP/1.1 server side: reads heads with core's strict parser, hands each
 * request to the proxy as an Http1Request and Http1Response, streams request bodies with backpressure,
 * and serves requests one at a time: pipelined bytes wait (the socket paused) until the response before
 * them has finished.
 */
export class Http1Connection implements ResponseOwner {
  private buffered: Buffer | undefined;
  private scanned = 0;
  private body: BodyState | undefined;
  private inFlight = false;
  private closed = false;
  /** The request being answered and its response, until the response finishes. */
  private current: Http1Response | undefined;
  /** Whether the current request's body has been read whole (a response that ends first closes the connection). */
  private complete = true;
  /** While waiting for a head: since when (ms), and whether no byte of it has come (keep-alive idle). */
  waitingSince = 0;
  idle = true;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
  ) {
    (socket as ConnectionSocket)[connectionOf] = this;
    socket.on("data", onSocketData);
    socket.on("timeout", destroySocket);
    socket.on("error", destroySocket);
    socket.on("close", onSocketClose);
    socket.on("end", onSocketEnd);
    socket.on("drain", onSocketDrain);
    this.waitForHead(true);
  }

  /** Ends the connection if it is between requests (closeIdleConnections). */
  closeIfIdle(): boolean {
    if (this.inFlight || this.body) return false;
    this.socket.destroy();
    return true;
  }

  /** ServerResponse waits for 'drain' on itself: the socket's is relayed to the response that wrote. */
  onDrain(): void {
    const res = this.current;
    if (res?.needDrain) {
      res.needDrain = false;
      res.emit("drain");
    }
  }

  /**
   * The client ended its side. As node:http (allowHalfOpen off for HTTP): a body still arriving is aborted
   * and the connection is ended; a response in flight sees its 'close' when the socket closes (the proxy
   * logs 460 and cancels its target exchange).
   */
  onEnd(): void {
    this.abortBody();
    if (this.socket.writable) this.socket.end();
  }

  private waitForHead(idle: boolean): void {
    // No socket timer: one costs a refresh on every read and write. The server's sweep enforces these.
    this.waitingSince = Date.now();
    this.idle = idle;
    this.owner.waiting(this, true);
  }

  onData(chunk: Buffer): void {
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
    this.buffered = undefined;
    if (result.kind === "invalid") {
      this.refuse(result.status);
      return;
    }
    this.serve(result.head, bytes.subarray(result.length));
  }

  /** Answers what cannot be served and closes: nothing after it on this connection is read. */
  private refuse(status: 400 | 417 | 431): void {
    this.inFlight = true;
    this.owner.waiting(this, false);
    endConnection(this.socket, refusal(status));
  }

  private serve(head: RequestHeadFields, rest: Buffer): void {
    const socket = this.socket;
    const req = new Http1Request(head, socket);
    this.inFlight = true;
    this.owner.waiting(this, false);
    if (head.upgrade) {
      socket.off("data", onSocketData);
      socket.off("timeout", destroySocket);
      socket.off("end", onSocketEnd);
      socket.off("close", onSocketClose);
      socket.off("drain", onSocketDrain);
      this.closed = true; // the tunnel owns the socket now
      this.owner.upgrade(req, socket, rest);
      return;
    }
    // node:http answers an expectation it does not know 417 itself, without the request reaching the proxy.
    if (head.httpVersion === "1.1" && !head.expectContinue && req.headers.expect !== undefined) {
      this.refuse(417);
      return;
    }
    const res = new Http1Response(req, socket, this, this.owner.keepAliveTimeout);
    res.shouldKeepAlive = head.keepAlive;
    this.current = res;
    const stream = req.body;
    if (stream === undefined) this.complete = true;
    else {
      this.complete = false;
      this.body = {
        req,
        stream,
        left: head.contentLength,
        chunked: head.body === "chunked" ? new ChunkedDecoder() : undefined,
      };
      const timeout = this.owner.bodyTimeout;
      if (timeout > 0) socket.setTimeout(timeout);
    }
    if (head.expectContinue) socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
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
        this.body = undefined;
        abort(body.stream, `bad chunked body: ${decoded.reason}`);
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
    const more = data.length === 0 || body.stream.push(data);
    if (done) {
      this.body = undefined;
      this.complete = true;
      if (this.owner.bodyTimeout > 0) this.socket.setTimeout(0);
      body.stream.push(null);
      if (rest && rest.length > 0) this.onData(rest);
    } else if (!more) this.socket.pause();
  }

  get reusable(): boolean {
    return this.owner.listening;
  }

  responseFinished(res: Http1Response): void {
    const socket = this.socket;
    this.inFlight = false;
    this.current = undefined;
    // As node:http's server: a finished response then closes (its 'close' listeners run).
    process.nextTick(emitClose, res);
    // A body not read to its end, or a response that said it was the last: the connection ends here.
    const keep = res.shouldKeepAlive && !res.last && this.complete && this.owner.listening;
    if (!keep || this.closed || socket.readableEnded) {
      this.abortBody();
      endConnection(socket);
      return;
    }
    socket.resume();
    this.waitForHead(true);
    this.next();
  }

  onClose(): void {
    this.closed = true;
    this.owner.waiting(this, false);
    // As node:http: a request whose body never finished is aborted, and a response not yet written out closes.
    this.abortBody();
    const res = this.current;
    this.current = undefined;
    res?.closed();
  }

  private abortBody(): void {
    const body = this.body;
    this.body = undefined;
    if (body) abort(body.stream, "aborted");
  }
}
