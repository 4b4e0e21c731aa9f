import type { IncomingMessage, ServerResponse } from "node:http";
import { Server, type Socket } from "node:net";
import { type ConnectionOwner, Http1Connection } from "./own-connection.ts";

/**
 * A plain HTTP/1.1 listener's server side on `net` sockets (SCALEOUT_PROXY_HTTP_SERVER=own): the part of
 * node:http's Server the proxy uses (`request` and `upgrade` events with node's own IncomingMessage and
 * ServerResponse, keepAliveTimeout, headersTimeout, closeIdleConnections), without its llhttp binding,
 * per-connection parser objects and connection bookkeeping, which cost about a third of a minimal
 * proxy's CPU per new connection (bench/accept). Heads are parsed by core's parseRequestHead, which
 * refuses what llhttp refuses; a refused head is answered 400 (431 when too large) and closed.
 */
export class OwnHttpServer extends Server implements ConnectionOwner {
  keepAliveTimeout = 5000;
  headersTimeout = 60_000;
  /** Accepted for node:http's shape; a whole-request deadline is not enforced (the proxy sets 0). */
  requestTimeout = 0;
  private readonly idleConnections = new Set<Http1Connection>();

  constructor(private readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void) {
    // Half-open: a client that ends its side after a request still gets its response (as node:http).
    super({ allowHalfOpen: true, noDelay: true });
    this.on("connection", (socket: Socket) => new Http1Connection(socket, this));
  }

  request(req: IncomingMessage, res: ServerResponse): void {
    this.onRequest(req, res);
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.listenerCount("upgrade") === 0) socket.destroy();
    else this.emit("upgrade", req, socket, head);
  }

  idle(connection: Http1Connection, idle: boolean): void {
    if (idle) this.idleConnections.add(connection);
    else this.idleConnections.delete(connection);
  }

  /** Ends every connection between requests (a listener going away: in-flight requests finish). */
  closeIdleConnections(): void {
    for (const connection of this.idleConnections) connection.closeIfIdle();
    this.idleConnections.clear();
  }
}
