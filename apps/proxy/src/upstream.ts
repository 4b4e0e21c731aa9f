import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";

/**
 * The proxy's HTTP/1.1 client for targets: keep-alive connections per target and a small response
 * parser. It exists because the request path is the product: a general client (undici) spent about a
 * third of the proxy's CPU per request on machinery a proxy does not need (request objects, header
 * validation, a WebAssembly parser round trip per callback). What it handles: status line and headers,
 * Content-Length, chunked and close-delimited bodies, responses without a body (HEAD, 1xx, 204, 304),
 * streamed request bodies, backpressure, connect and idle timeouts, and stale keep-alive connections.
 */

export type UpstreamErrorCode =
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "CONNECT_TIMEOUT"
  | "IDLE_TIMEOUT"
  | "INVALID_RESPONSE"
  | "CLOSED_EARLY"
  | "TARGET_DEREGISTERED"
  | "CLIENT_CLOSED";

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ResponseSink {
  onResponseStart(status: number, headers: Record<string, string | string[]>): void;
  /** Answers false when the client cannot take more for now: the target is paused until `resume()`. */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  /** `sent` says whether any byte of the request reached the target: if not, it is safe to try another. */
  onResponseError(error: UpstreamError, sent: boolean): void;
}

export interface ExchangeOptions {
  /** The request line and headers, each line ending in CRLF, with the blank line. */
  head: string;
  /** The client's request, when it has a body to stream. */
  body: IncomingMessage | undefined;
  /** The client sent a chunked body: re-frame it as chunks for the target. */
  chunked: boolean;
  /** HEAD: the response has no body whatever its headers say. */
  headRequest: boolean;
  /** GET, HEAD, OPTIONS, PUT, DELETE...: safe to send again when a kept-alive connection turns out dead. */
  idempotent: boolean;
  idleTimeoutMs: number;
}

const maxHeadBytes = 64 * 1024;
const crlfcrlf = Buffer.from("\r\n\r\n");
const statusLine = /^HTTP\/1\.([01]) (\d{3})/;

type BodyMode = "none" | "length" | "chunked" | "close";

/** One request and its response on one connection. */
export class Exchange {
  connection: Connection | undefined;
  /** Some bytes of the request were written to a target's socket. */
  sent = false;
  done = false;
  responseStarted = false;
  requestComplete = false;

  constructor(
    readonly options: ExchangeOptions,
    readonly sink: ResponseSink,
    private readonly pool: TargetConnections,
  ) {}

  /** Ends the exchange from the load balancer's side (the client left, the target's delay ran out). */
  abort(error: UpstreamError): void {
    if (this.done) return;
    if (this.connection) this.connection.fail(error, true);
    else {
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

/** A keep-alive connection to a target, with the parser state of its current response. */
class Connection {
  readonly socket: Socket;
  exchange: Exchange | undefined;
  connected = false;
  reused = false;
  private connectTimer: NodeJS.Timeout | undefined;
  // Parser state.
  private head: Buffer | undefined;
  private mode: BodyMode = "none";
  private remaining = 0;
  private chunkState: "size" | "data" | "data-end" | "trailer" = "size";
  private line = "";
  private keepAlive = true;

  constructor(
    private readonly pool: TargetConnections,
    host: string,
    port: number,
    connectTimeoutMs: number,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.connectTimer = setTimeout(() => {
      this.fail(new UpstreamError("CONNECT_TIMEOUT", `connecting to ${host}:${port} timed out`), true);
    }, connectTimeoutMs);
    this.socket.once("connect", () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
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
    this.head = undefined;
    this.mode = "none";
    this.keepAlive = true;
    this.socket.setTimeout(exchange.options.idleTimeoutMs);
    this.socket.write(exchange.options.head);
    if (!exchange.options.body) exchange.requestComplete = true;
    // Nothing counts as sent, and no body byte is read from the client, until the connection exists: a
    // refused connect can then go to another target with the body intact.
    if (this.connected) this.begin(exchange);
    else this.socket.once("connect", () => this.begin(exchange));
  }

  private begin(exchange: Exchange): void {
    if (this.exchange !== exchange) return;
    exchange.sent = true;
    const { body, chunked } = exchange.options;
    if (!body) return;
    const onData = (data: Buffer) => {
      if (this.exchange !== exchange) return;
      let ok: boolean;
      if (chunked) {
        this.socket.cork();
        this.socket.write(`${data.length.toString(16)}\r\n`);
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
  }

  private body: { stream: IncomingMessage; onData: (data: Buffer) => void; onEnd: () => void } | undefined;

  private detachBody(): void {
    const body = this.body;
    if (!body) return;
    this.body = undefined;
    body.stream.off("data", body.onData);
    body.stream.off("end", body.onEnd);
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (!exchange || exchange.done) {
      // Bytes nobody asked for (after a complete response): the connection cannot be trusted again.
      this.socket.destroy();
      return;
    }
    let data = chunk;
    while (data.length > 0 && this.exchange === exchange && !exchange.done) {
      if (!exchange.responseStarted) {
        const rest = this.parseHead(exchange, data);
        if (rest === undefined) return;
        data = rest;
        continue;
      }
      data = this.parseBody(exchange, data);
    }
  }

  /** Accumulates the response head; answers the bytes after it, or undefined while it is incomplete. */
  private parseHead(exchange: Exchange, data: Buffer): Buffer | undefined {
    const buffer = this.head ? Buffer.concat([this.head, data]) : data;
    const end = buffer.indexOf(crlfcrlf);
    if (end === -1) {
      if (buffer.length > maxHeadBytes) this.invalid("the response head is too large");
      else this.head = buffer;
      return undefined;
    }
    this.head = undefined;
    const text = buffer.toString("latin1", 0, end);
    const lines = text.split("\r\n");
    const match = statusLine.exec(lines[0] ?? "");
    if (!match) {
      this.invalid("the response does not start with an HTTP/1.x status line");
      return undefined;
    }
    const status = Number(match[2]);
    const headers: Record<string, string | string[]> = {};
    let contentLength: number | undefined;
    let transferEncoding: string | undefined;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      const colon = line.indexOf(":");
      if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
        this.invalid("a response header line is malformed");
        return undefined;
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        const n = Number(value);
        if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== n)) {
          this.invalid("the response has an invalid Content-Length");
          return undefined;
        }
        contentLength = n;
      } else if (name === "transfer-encoding") transferEncoding = value.toLowerCase();
      else if (name === "connection") connection = value.toLowerCase();
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
    }
    const rest = buffer.subarray(end + 4);
    if (status < 200) {
      // 100 Continue, 102, 103: informational; the real response follows. Node answers the client's
      // Expect: 100-continue itself.
      if (status === 101) {
        this.invalid("the target switched protocols on a plain request");
        return undefined;
      }
      return rest;
    }
    this.keepAlive = match[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    if (exchange.options.headRequest || status === 204 || status === 304) this.mode = "none";
    else if (transferEncoding !== undefined) {
      // RFC 9112 6.3: Transfer-Encoding wins over Content-Length; only chunked-last bodies are framed.
      this.mode = transferEncoding.endsWith("chunked") ? "chunked" : "close";
      this.chunkState = "size";
      this.line = "";
      delete headers["content-length"];
    } else if (contentLength !== undefined) {
      this.mode = contentLength > 0 ? "length" : "none";
      this.remaining = contentLength;
    } else this.mode = "close";
    if (this.mode === "close") this.keepAlive = false;
    exchange.responseStarted = true;
    exchange.sink.onResponseStart(status, headers);
    if (this.mode === "none") {
      if (rest.length > 0) this.keepAlive = false;
      this.complete();
      return Buffer.alloc(0);
    }
    return rest;
  }

  /** Delivers body bytes; answers what is left of `data` (bytes of nothing: the response is complete). */
  private parseBody(exchange: Exchange, data: Buffer): Buffer {
    const sink = exchange.sink;
    if (this.mode === "close") {
      if (!sink.onResponseData(data)) this.socket.pause();
      return Buffer.alloc(0);
    }
    if (this.mode === "length") {
      const take = Math.min(this.remaining, data.length);
      this.remaining -= take;
      const ok = sink.onResponseData(take === data.length ? data : data.subarray(0, take));
      if (this.remaining === 0) {
        if (take < data.length) this.keepAlive = false;
        this.complete();
        return Buffer.alloc(0);
      }
      if (!ok) this.socket.pause();
      return Buffer.alloc(0);
    }
    // chunked
    let offset = 0;
    let ok = true;
    while (offset < data.length) {
      if (this.chunkState === "data") {
        const take = Math.min(this.remaining, data.length - offset);
        ok = sink.onResponseData(data.subarray(offset, offset + take)) && ok;
        offset += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          this.chunkState = "data-end";
          this.line = "";
        }
        continue;
      }
      const newline = data.indexOf(10, offset);
      if (newline === -1) {
        this.line += data.toString("latin1", offset);
        if (this.line.length > 4096) this.invalid("a chunk line is too long");
        break;
      }
      const line = (this.line + data.toString("latin1", offset, newline)).replace(/\r$/, "");
      this.line = "";
      offset = newline + 1;
      if (this.chunkState === "data-end") {
        if (line !== "") return this.invalid("a chunk does not end with CRLF");
        this.chunkState = "size";
      } else if (this.chunkState === "size") {
        const size = Number.parseInt(line.split(";")[0] ?? "", 16);
        if (!/^[0-9a-fA-F]+/.test(line) || Number.isNaN(size))
          return this.invalid("a chunk size is malformed");
        if (size === 0) this.chunkState = "trailer";
        else {
          this.remaining = size;
          this.chunkState = "data";
        }
      } else if (line === "") {
        // The blank line after the (ignored) trailers ends the body.
        if (offset < data.length) this.keepAlive = false;
        this.complete();
        return Buffer.alloc(0);
      }
    }
    if (!ok) this.socket.pause();
    return Buffer.alloc(0);
  }

  private invalid(message: string): Buffer {
    this.fail(new UpstreamError("INVALID_RESPONSE", message), true);
    return Buffer.alloc(0);
  }

  private complete(): void {
    const exchange = this.exchange;
    if (!exchange) return;
    this.exchange = undefined;
    if (!exchange.requestComplete) this.detachBody();
    exchange.finish();
    exchange.sink.onResponseEnd();
    if (this.keepAlive && exchange.requestComplete && !this.socket.destroyed) {
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
    this.detachBody();
    if (destroy) this.socket.destroy();
    if (!exchange || exchange.done) return;
    // A kept-alive connection the target had already closed: the request most likely never reached it.
    // An idempotent request tries a fresh connection once, when its body (if any) has not started to flow.
    const stale =
      this.reused &&
      !exchange.responseStarted &&
      (error.code === "ECONNRESET" || error.code === "CLOSED_EARLY");
    if (stale && exchange.options.idempotent && !exchange.options.body?.readableDidRead) {
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
    if (exchange?.responseStarted && this.mode === "close") {
      this.keepAlive = false;
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

/** The keep-alive connections to one target, at most `maxConnections` of them, requests queued beyond. */
export class TargetConnections {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private closing = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: { connectTimeoutMs: number; maxConnections: number; keepAliveMs: number },
  ) {}

  request(options: ExchangeOptions, sink: ResponseSink): Exchange {
    const exchange = new Exchange(options, sink, this);
    this.assign(exchange, false);
    return exchange;
  }

  private assign(exchange: Exchange, fresh: boolean): void {
    let connection: Connection | undefined;
    if (!fresh) {
      while (this.idle.length > 0) {
        const candidate = this.idle.pop();
        if (candidate && !candidate.socket.destroyed) {
          connection = candidate;
          break;
        }
      }
    }
    if (!connection) {
      if (this.all.size >= this.options.maxConnections && !fresh) {
        this.waiting.push(exchange);
        return;
      }
      connection = new Connection(this, this.host, this.port, this.options.connectTimeoutMs);
      this.all.add(connection);
    }
    connection.start(exchange);
  }

  retryFresh(exchange: Exchange): void {
    this.assign(exchange, true);
  }

  release(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) {
      connection.start(next);
      return;
    }
    if (this.closing) {
      connection.socket.destroy();
      return;
    }
    connection.socket.setTimeout(this.options.keepAliveMs);
    this.idle.push(connection);
  }

  forget(connection: Connection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    // A slot freed up: a waiting request gets a new connection.
    const next = this.waiting.shift();
    if (next && !this.closing) this.assign(next, false);
  }

  dequeue(exchange: Exchange): void {
    const index = this.waiting.indexOf(exchange);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  /** Closes idle connections now and the others as their responses end. */
  close(): void {
    this.closing = true;
    for (const connection of this.idle) connection.socket.destroy();
    this.idle.length = 0;
  }
}
