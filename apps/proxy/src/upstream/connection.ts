import { connect, isIP, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { bindReader, type OwnReader, ownReadsOnRead } from "../own-reads.ts";
import { UpstreamError } from "./errors.ts";
import { type ExecuteResult, type ParserCallbacks, type ResponseHead, ResponseParser } from "./parser.ts";
import type { TargetConnections } from "./pool.ts";
import { ReadBuffers } from "./read-buffers.ts";
import { RequestBody } from "./request-body.ts";

export interface ResponseSink {
  /**
   * The response head: `fields` is the parser's flat [name, value, ...] list (lower-cased names), the
   * sink's to keep or rewrite; `connection` the Connection field's joined values.
   */
  onResponseStart(status: number, fields: string[], connection: string): void;
  /**
   * Answers false when the client cannot take more for now: the target is paused until `resume()`.
   * `last`: the body ends with these bytes (onResponseEnd follows once the read is parsed). `done`, when
   * given: `chunk` is a view of a buffer the connection reads into again once each such chunk is done
   * (read-buffers.ts); the sink calls it once at most, when it no longer needs the bytes (written out, or
   * dropped), or never.
   */
  onResponseData(chunk: Buffer, last: boolean, done?: () => void): boolean;
  onResponseEnd(): void;
  /** `sent` says whether any byte of the request reached the target: if not, it is safe to try another. */
  onResponseError(error: UpstreamError, sent: boolean): void;
  /**
   * One read from the target has been relayed: what the sink held back to send in one write (a corked
   * head and body) may go now. Not called once the exchange has ended through one of the above.
   */
  onReadRelayed(): void;
}

export interface ExchangeOptions {
  /**
   * The request line and headers, each line ending in CRLF, with the blank line. Written as latin1, one
   * byte a character, as node:http's parser decoded them: a client's non-ASCII bytes reach the target
   * unchanged (utf8 would encode them twice), and a one-byte string is copied without encoding.
   */
  head: string;
  /** The client's request, when it has a body to stream. */
  body: Readable | undefined;
  /** The client sent a chunked body: re-frame it as chunks for the target. */
  chunked: boolean;
  /** HEAD: the response has no body whatever its headers say. */
  headRequest: boolean;
  /** GET, HEAD, OPTIONS, PUT, DELETE...: safe to send again when a kept-alive connection turns out dead. */
  idempotent: boolean;
  idleTimeoutMs: number;
}

/** One request and its response on one connection. */
export class Exchange {
  connection: Connection | undefined;
  /** Some bytes of the request were written to a target's socket. */
  sent = false;
  done = false;
  responseStarted = false;
  requestComplete = false;
  /** The client's body, read ahead before a connection is taken (undefined: no body). */
  readonly body: RequestBody | undefined;
  /** While queued for a connection: the timer that gives up. */
  queueTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly options: ExchangeOptions,
    readonly sink: ResponseSink,
    private readonly pool: TargetConnections,
  ) {
    this.body = options.body ? RequestBody.of(options.body) : undefined;
  }

  /** The request can go to another target from its first byte (nothing of its body is lost). */
  get replayable(): boolean {
    return this.body?.replayable ?? true;
  }

  /** Ends the exchange from the load balancer's side (the client left, the target's delay ran out). */
  abort(error: UpstreamError): void {
    if (this.done) return;
    if (this.connection) this.connection.fail(error, true);
    else {
      this.body?.cancel();
      this.pool.dequeue(this);
      this.finish();
      this.sink.onResponseError(error, false);
    }
  }

  resume(): void {
    this.connection?.socket.resume();
  }

  finish(): void {
    this.done = true;
  }
}

/** A keep-alive connection to a target, with the parser of its current response. */
export class Connection implements ParserCallbacks, OwnReader {
  readonly socket: Socket;
  exchange: Exchange | undefined;
  connected = false;
  reused = false;
  readonly reads = new ReadBuffers();
  /** The pool's decay tick when this connection last went idle. */
  releasedAt = 0;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly parser = new ResponseParser(this);
  /** The current response lets the connection carry another exchange. */
  private reusable = true;
  /**
   * A parsed head not yet given to the sink: it goes with the first body byte or once the bytes that
   * carried it parsed cleanly, so a head followed at once by an invalid body still ends in a clean 502.
   */
  private heldHead: ResponseHead | undefined;
  private body: { stream: Readable; onData: (data: Buffer) => void; onEnd: () => void } | undefined;
  /** When the connection can carry a request: TCP connected, or for an HTTPS target, TLS established. */
  private readonly readyEvent: "connect" | "secureConnect";

  constructor(
    private readonly pool: TargetConnections,
    host: string,
    port: number,
    connectTimeoutMs: number,
  ) {
    if (pool.tls) {
      this.socket = connectToHttpsTarget(pool, host, port);
      this.readyEvent = "secureConnect";
    } else {
      this.socket = connect({ host, port, noDelay: true, onread: ownReadsOnRead });
      bindReader(this.socket, this);
      // onread delivers the bytes; flowing mode lets the end of the stream be emitted.
      this.socket.resume();
      this.readyEvent = "connect";
    }
    this.connectTimer = setTimeout(() => {
      this.fail(new UpstreamError("CONNECT_TIMEOUT", `connecting to ${host}:${port} timed out`), true);
    }, connectTimeoutMs);
    this.socket.once(this.readyEvent, () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    // node:tls reads the TCP socket under a TLS connection itself: its bytes come as 'data'.
    if (pool.tls) this.socket.on("data", (chunk: Buffer) => this.relay(chunk));
    this.socket.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code === "ECONNREFUSED" ? "ECONNREFUSED" : "ECONNRESET";
      this.fail(new UpstreamError(code, error.message), true);
    });
    this.socket.on("end", () => this.onEnd());
    this.socket.on("close", () => this.onClose());
    this.socket.on("timeout", () => {
      if (this.exchange) {
        this.fail(new UpstreamError("IDLE_TIMEOUT", "the target sent nothing within the idle timeout"), true);
      } else this.socket.destroy();
    });
  }

  start(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.parser.reset(exchange.options.headRequest);
    this.reusable = true;
    this.heldHead = undefined;
    // Re-armed only when the value changes: every socket.setTimeout allocates a new timer, and the one
    // armed already restarts on each read and write. An idle pooled connection keeps the same timer and
    // closes when it fires (see the 'timeout' listener).
    const idleTimeoutMs = exchange.options.idleTimeoutMs;
    if (this.socket.timeout !== idleTimeoutMs) this.socket.setTimeout(idleTimeoutMs);
    if (!exchange.body) exchange.requestComplete = true;
    // Nothing counts as sent, and no body byte goes out, until the connection exists: a refused connect
    // can then go to another target with the body intact.
    if (this.connected && exchange.body) {
      // The head and a buffered body leave in one write.
      this.socket.cork();
      this.socket.write(exchange.options.head, "latin1");
      this.begin(exchange);
      this.socket.uncork();
    } else if (this.connected) {
      this.socket.write(exchange.options.head, "latin1");
      exchange.sent = true;
    } else {
      this.socket.write(exchange.options.head, "latin1");
      this.socket.once(this.readyEvent, () => this.begin(exchange));
    }
  }

  private begin(exchange: Exchange): void {
    if (this.exchange !== exchange) return;
    exchange.sent = true;
    const requestBody = exchange.body;
    if (!requestBody) return;
    const chunked = exchange.options.chunked;
    if (requestBody.bytes > 0) {
      if (chunked) {
        this.socket.write(`${requestBody.bytes.toString(16)}\r\n`, "latin1");
        for (const chunk of requestBody.chunks) this.socket.write(chunk);
        this.socket.write("\r\n");
      } else for (const chunk of requestBody.chunks) this.socket.write(chunk);
    }
    if (requestBody.ended) {
      if (chunked) this.socket.write("0\r\n\r\n");
      exchange.requestComplete = true;
      return;
    }
    // The rest streams from the client as it arrives, paced by the target's socket.
    requestBody.streamed = true;
    const body = requestBody.stream;
    const onData = (data: Buffer) => {
      if (this.exchange !== exchange) return;
      let ok: boolean;
      if (chunked) {
        this.socket.cork();
        this.socket.write(`${data.length.toString(16)}\r\n`, "latin1");
        this.socket.write(data);
        ok = this.socket.write("\r\n");
        this.socket.uncork();
      } else ok = this.socket.write(data);
      if (!ok) {
        body.pause();
        this.socket.once("drain", () => body.resume());
      }
    };
    const onEnd = () => {
      this.detachBody();
      if (this.exchange !== exchange) return;
      if (chunked) this.socket.write("0\r\n\r\n");
      exchange.requestComplete = true;
    };
    body.on("data", onData);
    body.once("end", onEnd);
    this.body = { stream: body, onData, onEnd };
    // Reading ahead paused the client's stream once its buffer filled; a paused stream stays paused
    // when a listener is added.
    body.resume();
  }

  private detachBody(): void {
    const body = this.body;
    if (!body) return;
    this.body = undefined;
    body.stream.off("data", body.onData);
    body.stream.off("end", body.onEnd);
  }

  onHead(head: ResponseHead): void {
    const exchange = this.exchange;
    if (!exchange || exchange.done) {
      this.parser.stop();
      return;
    }
    this.reusable = head.reusable;
    this.heldHead = head;
  }

  private deliverHead(exchange: Exchange): void {
    const head = this.heldHead;
    if (!head) return;
    this.heldHead = undefined;
    exchange.responseStarted = true;
    exchange.sink.onResponseStart(head.status, head.fields, head.connection);
  }

  onBody(chunk: Buffer, last: boolean): boolean {
    const exchange = this.exchange;
    if (!exchange || exchange.done) {
      this.parser.stop();
      return true;
    }
    if (this.heldHead) {
      this.deliverHead(exchange);
      if (this.exchange !== exchange || exchange.done) return true;
    }
    return exchange.sink.onResponseData(chunk, last, this.reads.hold());
  }

  get nextReadBuffer(): Buffer | undefined {
    return this.reads.next;
  }

  /** A read from a plain TCP target (onread, own-reads.ts). */
  fromRead(nread: number, buf: Uint8Array): boolean {
    this.relay(this.reads.begin(nread, buf));
    // Idle in the pool, it holds no buffer: the next large response takes one again.
    this.reads.end(this.exchange === undefined);
    return true;
  }

  /** Whatever a target sends, nothing thrown may escape a socket listener: it would end the process. */
  private relay(chunk: Buffer): void {
    try {
      this.onData(chunk);
    } catch (error) {
      this.crashed(error);
    }
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (!exchange || exchange.done) {
      // Bytes nobody asked for (after a complete response): the connection cannot be trusted again.
      this.socket.destroy();
      return;
    }
    const result: ExecuteResult = this.parser.execute(chunk);
    // A callback may have ended the exchange (the client left): the connection is already dealt with.
    if (this.exchange !== exchange || exchange.done) return;
    if (result.kind === "error") {
      this.heldHead = undefined;
      this.fail(new UpstreamError("INVALID_RESPONSE", result.reason), true);
      return;
    }
    if (this.heldHead) {
      this.deliverHead(exchange);
      if (this.exchange !== exchange || exchange.done) return;
    }
    switch (result.kind) {
      case "more":
        if (result.pause) this.socket.pause();
        exchange.sink.onReadRelayed();
        return;
      case "complete":
        if (result.extra > 0) this.reusable = false;
        this.complete();
        return;
    }
  }

  /** An exception out of the parser or a sink: the response is treated as invalid, the socket dropped. */
  private crashed(error: unknown): void {
    try {
      const message = error instanceof Error ? error.message : String(error);
      this.fail(new UpstreamError("INVALID_RESPONSE", `the response could not be relayed: ${message}`), true);
    } catch {
      this.socket.destroy();
    }
  }

  private complete(): void {
    const exchange = this.exchange;
    if (!exchange) return;
    this.exchange = undefined;
    if (!exchange.requestComplete) this.detachBody();
    exchange.finish();
    exchange.sink.onResponseEnd();
    if (this.reusable && exchange.requestComplete && !this.socket.destroyed) {
      this.reused = true;
      this.pool.release(this);
    } else this.socket.destroy();
  }

  /** Fails the current exchange (if any) and, when `destroy`, the connection with it. */
  fail(error: UpstreamError, destroy: boolean): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const exchange = this.exchange;
    this.exchange = undefined;
    this.parser.stop();
    this.heldHead = undefined;
    this.detachBody();
    if (destroy) this.socket.destroy();
    if (!exchange || exchange.done) return;
    // A kept-alive connection the target had already closed: the request most likely never reached it.
    // An idempotent request tries a fresh connection once, when its body (if any) can be sent again.
    const stale =
      this.reused &&
      !exchange.responseStarted &&
      (error.code === "ECONNRESET" || error.code === "CLOSED_EARLY");
    if (stale && exchange.options.idempotent && exchange.replayable) {
      exchange.connection = undefined;
      exchange.sent = false;
      this.pool.retryFresh(exchange);
      return;
    }
    exchange.finish();
    exchange.sink.onResponseError(error, exchange.sent);
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange?.responseStarted && this.parser.finishOnClose()) {
      this.reusable = false;
      this.complete();
    }
  }

  private onClose(): void {
    this.pool.forget(this);
    if (this.exchange) {
      this.fail(
        new UpstreamError("CLOSED_EARLY", "the target closed the connection before the response ended"),
        false,
      );
    }
  }
}

/**
 * A target group with protocol HTTPS: TLS to the target without verifying its certificate, as ALB does
 * (targets commonly serve self-signed ones). The server name is the target's host name when it has one.
 * The pool's last session is offered again, so a new connection to the same target resumes rather than
 * paying a full handshake.
 */
function connectToHttpsTarget(pool: TargetConnections, host: string, port: number): TLSSocket {
  const socket = connectTls({
    host,
    port,
    rejectUnauthorized: false,
    ALPNProtocols: ["http/1.1"],
    ...(isIP(host) === 0 && { servername: host }),
    ...(pool.tlsSession && { session: pool.tlsSession }),
  });
  socket.setNoDelay(true);
  socket.on("session", (session: Buffer) => {
    pool.tlsSession = session;
  });
  return socket;
}
