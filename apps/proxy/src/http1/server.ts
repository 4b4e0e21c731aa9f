import { Server, type Socket } from "node:net";
import { Http1Connections, type Http1Handlers } from "./connections.ts";

/**
 * A plain HTTP listener's server side on `net` sockets: what the proxy used of node:http's Server (the
 * request and upgrade events, keepAliveTimeout, headersTimeout, closeIdleConnections), with the proxy's
 * own request and response objects instead of IncomingMessage and ServerResponse, which cost a minimal
 * proxy about a fifth of its CPU per connection (bench/accept, docs/notes/perf.md). Heads are parsed by
 * core's parseRequestHead, which refuses what llhttp refuses (apps/proxy/test/http1-head-differential.test.ts)
 * and a little more (docs/aws-differences.md); a refused head is answered 400 (431 when too large) and closed.
 */
export class Http1Server extends Server {
  /** Its connections, with their timeouts (the same object HTTPS listeners have for their HTTP/1.1). */
  readonly http1: Http1Connections;

  constructor(handlers: Http1Handlers) {
    // Half-open: the end of a client's side is handled by the connection (as node:http handles it).
    super({ allowHalfOpen: true, noDelay: true });
    const connections = new Http1Connections(handlers, () => this.listening);
    this.http1 = connections;
    this.on("connection", (socket: Socket) => connections.accept(socket));
    this.on("close", () => connections.stop());
  }

  /** Ends every connection between requests (a listener going away: in-flight requests finish). */
  closeIdleConnections(): void {
    this.http1.closeIdleConnections();
  }
}
