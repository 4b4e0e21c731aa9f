import { EventEmitter } from "node:events";
import { type OutgoingHttpHeaders, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ClientResponse } from "../client-messages.ts";
import type { Http1Request } from "./request.ts";

/** The connection a response is written on. */
export interface ResponseOwner {
  /** The response was written out whole (its last write completed). */
  responseFinished(res: Http1Response): void;
  /** The connection may serve another request after this one (false once its server stopped accepting). */
  readonly reusable: boolean;
}

/** RFC 9110 token (node:http's checkIsHttpToken). */
const token = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
/** What a field value may not hold (node:http's checkInvalidHeaderChar). */
const invalidValueChar = /[^\t\x20-\x7e\x80-\xff]/;
const connectionClose = /(?:^|\W)close(?:$|\W)/i;
const chunkedCoding = /(?:^|\W)chunked(?:$|\W)/i;

/** node:http's Date value, made once a second rather than once a response. */
let dateSecond = -1;
let dateValue = "";
function utcDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

/** 1xx, 204 and 304 responses have no body whatever their fields say. */
const bodyAllowed = (status: number): boolean => status >= 200 && status !== 204 && status !== 304;

function invalidHeader(kind: string, name: string): Error {
  return Object.assign(new TypeError(`Invalid ${kind} for header "${name}"`), {
    code: kind === "name" ? "ERR_INVALID_HTTP_TOKEN" : "ERR_INVALID_CHAR",
  });
}

/**
 * The response to one Http1Request, written straight to its connection's socket: the same head node:http's
 * ServerResponse writes (status line, the fields given, then Date, Connection/Keep-Alive and the framing
 * it adds when they are missing), and the same rules for when a connection stays open, but no stream
 * machinery: the head is one string, sent with the first body bytes (or alone by flushHeaders), a small
 * body joined to it, and 'finish' is the last write's callback.
 */
export class Http1Response extends EventEmitter implements ClientResponse {
  statusCode = 200;
  /** Keep the connection after this response (node:http's shouldKeepAlive; set false to close after it). */
  shouldKeepAlive: boolean;
  /** The connection closes after this response (said so in its head, or a body without framing). */
  last = false;
  /** Set once the head is made (writeHead), as node:http's headersSent, though it may not have left yet. */
  headersSent = false;
  writableFinished = false;
  socket: Socket | null;
  private head = "";
  private headSent = false;
  private hasBody: boolean;
  private chunked = false;
  private ended = false;
  /** end() with the whole body before any head: its length, which the head then says (as node:http's). */
  private implicitLength: number | undefined = undefined;
  /** The last write returned false: a 'drain' from the socket is this response's. */
  needDrain = false;
  private fields: Map<string, [string, number | string | readonly string[]]> | undefined;
  /** Bodies without a Content-Length are chunked (HTTP/1.1, or 1.0 asking for it); otherwise they end the connection. */
  private readonly useChunked: boolean;

  constructor(
    /** The request answered (its method and version decide whether and how a body is framed). */
    req: Pick<Http1Request, "method" | "httpVersionMinor" | "headers">,
    socket: Socket,
    private readonly owner: ResponseOwner,
    /** The server's keepAliveTimeout, announced in a Keep-Alive field as node:http does. */
    private readonly keepAliveMs: number,
  ) {
    super();
    this.socket = socket;
    this.shouldKeepAlive = true;
    this.hasBody = req.method !== "HEAD";
    this.useChunked = req.httpVersionMinor === 1 || chunkedCoding.test(String(req.headers.te ?? ""));
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent) throw new Error("Cannot set headers after they are sent to the client");
    this.fields ??= new Map();
    this.fields.set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): number | string | string[] | undefined {
    const value = this.fields?.get(name.toLowerCase())?.[1];
    return Array.isArray(value) ? [...value] : (value as number | string | undefined);
  }

  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this {
    if (this.headersSent) throw new Error("Cannot write headers after they are sent to the client");
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999)
      throw Object.assign(new RangeError(`Invalid status code: ${statusCode}`), {
        code: "ERR_HTTP_INVALID_STATUS_CODE",
      });
    this.statusCode = statusCode;
    // Decided here, kept only once the head is made: a head refused below (a target's bad field) leaves
    // the response free to carry the load balancer's own error page, body and all.
    const hasBody = this.hasBody && bodyAllowed(statusCode);
    const state = new HeadState(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? "unknown"}\r\n`);
    // setHeader's fields first, then the given ones (which replace those of the same name).
    const fields = this.fields;
    if (fields) {
      if (Array.isArray(headers))
        for (let i = 0; i < headers.length; i += 2) fields.delete(String(headers[i]).toLowerCase());
      else if (headers) for (const name in headers) fields.delete(name.toLowerCase());
      for (const [name, value] of fields.values()) state.add(this, name, value);
    }
    if (Array.isArray(headers)) {
      if (headers.length % 2 !== 0) throw new TypeError("headers: a name/value list of odd length");
      for (let i = 0; i < headers.length; i += 2)
        state.add(this, headers[i] as string, headers[i + 1] as string);
    } else if (headers) {
      for (const name in headers) {
        const value = headers[name];
        if (value !== undefined) state.add(this, name, value);
      }
    }
    if (!this.owner.reusable) this.shouldKeepAlive = false;
    let head = state.head;
    if (!state.date) head += `Date: ${utcDate()}\r\n`;
    if (!state.connection) {
      if (this.shouldKeepAlive && (state.contentLength || this.useChunked)) {
        head += `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.keepAliveMs / 1000)}\r\n`;
      } else {
        this.last = true;
        head += "Connection: close\r\n";
      }
    } else if (!this.shouldKeepAlive) this.last = true;
    this.hasBody = hasBody;
    if (!state.contentLength && !state.transferEncoding && hasBody) {
      if (!this.useChunked) this.last = true;
      else if (this.implicitLength !== undefined) head += `Content-Length: ${this.implicitLength}\r\n`;
      else {
        head += "Transfer-Encoding: chunked\r\n";
        this.chunked = true;
      }
    }
    this.head = `${head}\r\n`;
    this.headersSent = true;
    return this;
  }

  /** A connection field the head carries: `close` ends the connection after this response. */
  sawConnection(value: string): void {
    if (connectionClose.test(value)) this.last = true;
  }

  /** A Transfer-Encoding the caller set: the body is written as given (chunked when it says so). */
  sawTransferEncoding(value: string): void {
    if (chunkedCoding.test(value)) this.chunked = true;
  }

  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.send("", undefined);
  }

  cork(): void {
    this.socket?.cork();
  }

  uncork(): void {
    this.socket?.uncork();
  }

  write(chunk: Buffer | string, written?: () => void): boolean {
    if (this.ended) throw Object.assign(new Error("write after end"), { code: "ERR_STREAM_WRITE_AFTER_END" });
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (!this.hasBody || chunk.length === 0) {
      if (!this.headSent) this.send("", undefined);
      if (written) process.nextTick(written);
      return true;
    }
    return this.sendBody(chunk, written);
  }

  end(chunk?: Buffer | string | (() => void), encoding?: BufferEncoding | (() => void)): this {
    if (this.ended) return this;
    const finished =
      typeof encoding === "function" ? encoding : typeof chunk === "function" ? chunk : undefined;
    const data = typeof chunk === "function" ? undefined : chunk;
    if (!this.headersSent) {
      // As node:http: a response ended with all its body at once says how long that body is.
      const length =
        data === undefined
          ? 0
          : typeof data === "string"
            ? Buffer.byteLength(data, encoding === "latin1" ? "latin1" : "utf8")
            : data.length;
      this.implicitLength = length;
      this.writeHead(this.statusCode);
    }
    this.ended = true;
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      if (finished) process.nextTick(finished);
      return this;
    }
    socket.cork();
    if (data !== undefined && data.length > 0 && this.hasBody) {
      if (this.chunked) {
        this.sendBody(data, undefined);
        this.send("0\r\n\r\n", () => this.finish(finished));
      } else if (typeof data === "string") {
        this.send(data, () => this.finish(finished), encoding === "latin1" ? "latin1" : "utf8");
      } else {
        this.send(data, () => this.finish(finished));
      }
    } else {
      this.send(this.chunked && this.hasBody ? "0\r\n\r\n" : "", () => this.finish(finished));
    }
    socket.uncork();
    return this;
  }

  destroy(error?: Error): this {
    this.socket?.destroy(error);
    return this;
  }

  /** The response's 'close', once: after it finished (the connection moves on) or when its socket closed. */
  closed(): void {
    if (this.socket === null) return;
    this.socket = null;
    this.emit("close");
  }

  private finish(finished: (() => void) | undefined): void {
    this.writableFinished = true;
    finished?.();
    this.emit("finish");
    this.owner.responseFinished(this);
  }

  private sendBody(chunk: Buffer | string, written: (() => void) | undefined): boolean {
    if (!this.chunked) return this.send(chunk, written);
    const length = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    // Size line, data and CRLF in one writev, not three writes.
    const socket = this.socket;
    socket?.cork();
    this.send(`${length.toString(16)}\r\n`, undefined);
    this.send(chunk, undefined);
    const ok = this.send("\r\n", written);
    socket?.uncork();
    return ok;
  }

  /** Writes to the socket, the head first if it has not gone yet (joined to a string, or written before a buffer). */
  private send(
    data: Buffer | string,
    written: (() => void) | undefined,
    encoding: BufferEncoding = "latin1",
  ): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      if (written) process.nextTick(written);
      return false;
    }
    let ok: boolean;
    if (!this.headSent) {
      this.headSent = true;
      if (typeof data === "string" && encoding === "latin1")
        ok = socket.write(this.head + data, "latin1", written);
      else {
        socket.write(this.head, "latin1");
        ok = typeof data === "string" ? socket.write(data, encoding, written) : socket.write(data, written);
      }
    } else if (data.length === 0) {
      if (written) socket.write("", "latin1", written);
      return true;
    } else
      ok = typeof data === "string" ? socket.write(data, encoding, written) : socket.write(data, written);
    if (!ok) this.needDrain = true;
    return ok;
  }
}

/** What a head being written has said about itself so far (node:http's _storeHeader state). */
class HeadState {
  connection = false;
  contentLength = false;
  transferEncoding = false;
  date = false;

  constructor(public head: string) {}

  add(res: Http1Response, name: string, value: number | string | readonly string[]): void {
    if (!token.test(name)) throw invalidHeader("name", name);
    if (Array.isArray(value)) {
      // node:http: a list is one line per value, except several cookies, which become one line.
      if (value.length >= 2 && name.toLowerCase() === "cookie") this.line(res, name, value.join("; "));
      else for (const item of value) this.line(res, name, String(item));
    } else this.line(res, name, String(value));
  }

  private line(res: Http1Response, name: string, value: string): void {
    if (invalidValueChar.test(value)) throw invalidHeader("character", name);
    this.head += `${name}: ${value}\r\n`;
    const n = name.length;
    if (n < 4 || n > 17) return;
    const lower = name.toLowerCase();
    if (lower === "connection") {
      this.connection = true;
      res.sawConnection(value);
    } else if (lower === "content-length") this.contentLength = true;
    else if (lower === "transfer-encoding") {
      this.transferEncoding = true;
      res.sawTransferEncoding(value);
    } else if (lower === "date") this.date = true;
  }
}
