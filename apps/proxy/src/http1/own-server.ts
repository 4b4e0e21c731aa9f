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
  /** Connections waiting for a head (before their first request, or between two). */
  private readonly waitingConnections = new Set<Http1Connection>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void) {
    // Half-open: the end of a client's side is handled by the connection (as node:http handles it).
    super({ allowHalfOpen: true, noDelay: true });
    this.on("connection", (socket: Socket) => new Http1Connection(socket, this));
    // As node:http's connectionsCheckingInterval: one timer for all waiting connections, every second.
    this.sweep = setInterval(() => this.expire(Date.now()), 1000).unref();
    this.on("close", () => clearInterval(this.sweep));
  }

  /** Ends the connections that waited too long: idle ones past keepAliveTimeout, heads past headersTimeout. */
  private expire(now: number): void {
    for (const connection of this.waitingConnections) {
      const limit = connection.idle ? this.keepAliveTimeout : this.headersTimeout;
      if (limit > 0 && now - connection.waitingSince >= limit) {
        this.waitingConnections.delete(connection);
        connection.socket.destroy();
      }
    }
  }

  request(req: IncomingMessage, res: ServerResponse): void {
    this.onRequest(req, res);
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.listenerCount("upgrade") === 0) socket.destroy();
    else this.emit("upgrade", req, socket, head);
  }

  waiting(connection: Http1Connection, waiting: boolean): void {
    if (waiting) this.waitingConnections.add(connection);
    else this.waitingConnections.delete(connection);
  }

  /** Ends every connection between requests (a listener going away: in-flight requests finish). */
  closeIdleConnections(): void {
    for (const connection of this.waitingConnections) if (connection.idle) connection.closeIfIdle();
  }
}
