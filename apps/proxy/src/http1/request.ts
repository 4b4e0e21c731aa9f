import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { RequestHeadFields } from "@scaleout/core";

/**
 * An HTTP/1.x request as the own server side (http1/server.ts) hands it to the proxy: the head core's
 * parser read, and a body stream only when the request has a body. It has the fields of node:http's
 * IncomingMessage the systems read, and nothing else: no stream, buffers or events for the GET that
 * most requests are.
 */
export class Http1Request {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly rawHeaders: string[];
  /** The joined view of rawHeaders, exactly as node:http's IncomingMessage builds it (headersOf). */
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives (pushed by the connection, read with backpressure); undefined without one. */
  readonly body: Readable | undefined;

  constructor(
    head: RequestHeadFields,
    readonly socket: Socket,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.httpVersion;
    this.httpVersionMinor = head.httpVersion === "1.1" ? 1 : 0;
    this.rawHeaders = head.rawHeaders;
    this.headers = headersOf(head.rawHeaders);
    // Backpressure: the socket pauses while the reader's buffer is full; a read resumes it.
    this.body = head.body === "none" ? undefined : new Readable({ read: () => socket.resume() });
  }

  /** Some of the body was read (node:http's readableDidRead): it can no longer be sent again from its start. */
  get readableDidRead(): boolean {
    return this.body?.readableDidRead ?? false;
  }
}

/**
 * How node:http joins a field that comes more than once (its _http_incoming.js matchKnownFields, Node
 * 20 and 24 alike): `list` fields joined with ", ", `cookie` with "; ", `set-cookie` kept as a list, and
 * the first of the fields below kept alone; any other field name is a list. The differential test
 * (apps/proxy/test/http1-request.test.ts) holds this against node:http's own on the same bytes.
 */
const firstOnly = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/** The `headers` object node:http's IncomingMessage makes of a raw name/value list. */
export function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const existing = headers[name];
    if (existing === undefined) {
      headers[name] = name === "set-cookie" ? [value] : value;
    } else if (name === "set-cookie") {
      (existing as string[]).push(value);
    } else if (name === "cookie") {
      headers[name] = `${existing}; ${value}`;
    } else if (!firstOnly.has(name)) {
      headers[name] = `${existing}, ${value}`;
    }
  }
  return headers;
}
