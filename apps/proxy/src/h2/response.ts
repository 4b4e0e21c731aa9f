import type { OutgoingHttpHeaders } from "node:http";
import { constants, Http2ServerResponse } from "node:http2";

/**
 * Header fields HTTP/2 forbids in a message (RFC 9113 8.2.2): Node throws on them. The relay already
 * drops HTTP/1.1's hop-by-hop fields; these are the ones left that only HTTP/2 refuses.
 */
const connectionSpecific = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "te",
]);

/**
 * An HTTP/2 stream's response with the shape of node:http's ServerResponse that the systems use
 * (client-messages.ts ClientResponse): the relay's flat `[name, value, ...]` head, cork/uncork (a
 * stream's frames are batched by nghttp2 itself), and a reset of the stream alone where HTTP/1.x would
 * close the connection. Made by Node for every HTTP/2 request (the server's `Http2ServerResponse` option).
 */
export class H2Response extends Http2ServerResponse {
  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this;
  override writeHead(statusCode: number, statusMessage: string, headers?: OutgoingHttpHeaders): this;
  override writeHead(
    statusCode: number,
    second?: string | OutgoingHttpHeaders | string[],
    third?: OutgoingHttpHeaders,
  ): this {
    const given = typeof second === "string" ? third : second;
    if (given === undefined) return super.writeHead(statusCode);
    const headers: OutgoingHttpHeaders = {};
    if (Array.isArray(given)) {
      for (let i = 0; i + 1 < given.length; i += 2) add(headers, given[i] ?? "", given[i + 1] ?? "");
    } else {
      for (const name in given) {
        const value = given[name];
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const item of value) add(headers, name, item);
        else add(headers, name, value);
      }
    }
    return super.writeHead(statusCode, headers);
  }

  override cork(): void {}

  /** The head goes out at writeHead on a stream (HEADERS frame): only an implicit head is left to send. */
  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
  }

  override uncork(): void {}

  /**
   * A response abandoned after its head (the load balancer's error on a started response): the stream
   * is reset with INTERNAL_ERROR, so the client knows the body is incomplete, and nothing else is closed.
   */
  override destroy(_error?: Error): this {
    const stream = this.stream;
    if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return this;
  }
}

/** Adds one field, lower-cased (HTTP/2 names are), repeated ones as a list, forbidden ones dropped. */
function add(headers: OutgoingHttpHeaders, name: string, value: string | number): void {
  const lower = name.toLowerCase();
  if (connectionSpecific.has(lower) && !(lower === "te" && value === "trailers")) return;
  const existing = headers[lower];
  if (existing === undefined) headers[lower] = value;
  else if (Array.isArray(existing)) existing.push(String(value));
  else headers[lower] = [String(existing), String(value)];
}

/**
 * The compatibility API calls a response finished once its stream closed, whoever closed it; the relay
 * asks whether the response went out whole (a client that reset the stream must abort the target's
 * exchange, as a client that closes its HTTP/1.1 connection does), so here it is finished only if it
 * was also ended. Defined on the prototype: the type declares a field, which a subclass cannot override
 * with an accessor.
 */
Object.defineProperty(H2Response.prototype, "writableFinished", {
  get(this: H2Response): boolean {
    return (
      this.writableEnded && Reflect.get(Http2ServerResponse.prototype, "writableFinished", this) === true
    );
  },
});
