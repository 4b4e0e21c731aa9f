import type { OutgoingHttpHeaders } from "node:http";
import { constants, type Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { Http1Request } from "./http1/request.ts";

/**
 * A client's request as the systems read it: an HTTP/1.x message, or an HTTP/2 stream through Node's
 * compatibility API (its `headers` completed into their HTTP/1.1 view by h2/requests.ts before routing).
 */
export type ClientRequest = Http1Request | Http2ServerRequest;

/** The request's body as a stream (an HTTP/2 request is its own body; an HTTP/1.x request holds it). */
export function bodyStream(req: ClientRequest): Readable | undefined {
  return req instanceof Http1Request ? req.body : req;
}

/**
 * What the systems do with a client's response. http1/response.ts's Http1Response is one; h2/response.ts's
 * H2Response (an HTTP/2 stream) is the other, so rule actions, errors and forwarding serve both alike.
 */
export interface ClientResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  /** The connection: an HTTP/1.x response's own; an HTTP/2 stream's is shared with other streams. */
  readonly socket: Socket | null;
  /** An HTTP/2 response's stream (none for HTTP/1.x). */
  readonly stream?: ServerHttp2Stream;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  write(chunk: Buffer | string): boolean;
  /** `written`: called once the chunk was written out (or failed to be). */
  write(chunk: Buffer, written: () => void): boolean;
  end(): unknown;
  end(chunk: Buffer | string): unknown;
  /** `finished`: called once the response has been written out whole. */
  end(chunk: Buffer, finished: () => void): unknown;
  end(chunk: string, encoding: BufferEncoding): unknown;
  cork(): void;
  uncork(): void;
  flushHeaders(): void;
  destroy(error?: Error): unknown;
  on(event: "close" | "drain" | "finish", listener: () => void): unknown;
  once(event: "close" | "drain" | "finish", listener: () => void): unknown;
}

/** An HTTP/1.x response, which may be told to close its connection after it. */
export interface Http1ClientResponse extends ClientResponse {
  shouldKeepAlive: boolean;
}

/**
 * Ends a response that fails after its head went out, after what was relayed so far: an HTTP/1.x
 * connection closes (the client sees a body that stops short); an HTTP/2 stream is reset alone
 * (INTERNAL_ERROR), its connection and the other streams on it unharmed.
 */
export function cutShort(res: ClientResponse): void {
  const stream = res.stream;
  if (stream) {
    if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  const socket = res.socket;
  if (socket && !socket.destroyed) socket.end(() => socket.destroy());
  else res.destroy();
}
