import type { Socket } from "node:net";
import { type ConnectionOwner, Http1Connection } from "./connection.ts";
import type { Http1Request } from "./request.ts";
import type { Http1Response } from "./response.ts";

/** Where a listener's HTTP/1.x requests and upgrades go. */
export interface Http1Handlers {
  request(req: Http1Request, res: Http1Response): void;
  upgrade(req: Http1Request, socket: Socket, head: Buffer): void;
}

/**
 * The HTTP/1.x connections of one listener, plain (http1/server.ts) or TLS (h2/server.ts hands over every
 * connection that did not choose h2): their timeouts, and one sweep a second over those waiting for a
 * head, as node:http's connectionsCheckingInterval, instead of a socket timer each (a timer costs a
 * refresh on every read and write).
 */
export class Http1Connections implements ConnectionOwner {
  keepAliveTimeout = 5000;
  headersTimeout = 60_000;
  /** How long a request body may stall before its connection is closed (0: no limit). */
  bodyTimeout = 0;
  /** Connections waiting for a head (before their first request, or between two). */
  private readonly waitingConnections = new Set<Http1Connection>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly handlers: Http1Handlers,
    /** Whether the listener still accepts: once it stopped, each connection ends after its response. */
    private readonly accepting: () => boolean,
  ) {
    this.sweep = setInterval(() => this.expire(Date.now()), 1000).unref();
  }

  /** Serves a new connection (its bytes are HTTP/1.x from the first on). */
  accept(socket: Socket): void {
    new Http1Connection(socket, this);
  }

  get listening(): boolean {
    return this.accepting();
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

  request(req: Http1Request, res: Http1Response): void {
    this.handlers.request(req, res);
  }

  upgrade(req: Http1Request, socket: Socket, head: Buffer): void {
    this.handlers.upgrade(req, socket, head);
  }

  waiting(connection: Http1Connection, waiting: boolean): void {
    if (waiting) this.waitingConnections.add(connection);
    else this.waitingConnections.delete(connection);
  }

  /** Ends every connection between requests (a listener going away: in-flight requests finish). */
  closeIdleConnections(): void {
    for (const connection of this.waitingConnections) if (connection.idle) connection.closeIfIdle();
  }

  /** The listener closed: the sweep stops. */
  stop(): void {
    clearInterval(this.sweep);
  }
}
