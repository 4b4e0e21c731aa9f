import { constants, type Http2ServerRequest, type Http2Session, type ServerHttp2Session } from "node:http2";
import type { Server as TlsServer } from "node:tls";
import type { H2Server } from "./server.ts";

/** What an HTTPS listener offers by ALPN: `h2` first when the load balancer's routing.http2.enabled is. */
export function alpnProtocols(http2: boolean): string[] {
  return http2 ? ["h2", "http/1.1"] : ["http/1.1"];
}

/**
 * Changes what a running server offers to new handshakes; open connections keep what they negotiated.
 * node:http2 fixes a secure server's ALPN list at creation (its ALPNProtocols option is overwritten, an
 * ALPNCallback refused), and node:tls reads the server's `ALPNProtocols` (the wire-format list) for
 * every new connection: writing it is the one way short of binding the port anew. http2.test.ts checks
 * it on the running Node, so a runtime that stops reading it fails there, not in production.
 */
export function offerHttp2(server: TlsServer, http2: boolean): void {
  const wire = Buffer.concat(
    alpnProtocols(http2).map((name) => Buffer.concat([Buffer.from([name.length]), Buffer.from(name)])),
  );
  Reflect.set(server, "ALPNProtocols", wire);
}

/**
 * HTTP/2 settings: ALB allows 128 concurrent streams per connection; no server push; header lists up to
 * the request head bound the classifier enforces (64 KiB) plus room for pseudo-header fields, so that an
 * oversized head is answered 431 like HTTP/1.1's rather than reset.
 */
export const http2Settings = {
  maxConcurrentStreams: 128,
  enablePush: false,
  maxHeaderListSize: 80 * 1024,
};

/**
 * The HTTP/2 connections (sessions) of one HTTPS listener, with the load balancer's client timeouts as
 * HTTP/2 spells them: a connection idle for idle_timeout gets GOAWAY (its streams finish, none start),
 * one older than client_keep_alive gets GOAWAY at its next request, a request body that stalls for
 * idle_timeout plus a second is cancelled (that stream alone), and closing the listener sends GOAWAY on
 * every connection so that in-flight requests end and clients retry elsewhere.
 */
export class H2Sessions {
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly openedAt = new WeakMap<Http2Session, number>();
  idleMs = 60_000;
  lifeMs = 3_600_000;
  bodyIdleMs = 61_000;

  constructor(private readonly now: () => number) {}

  attach(server: H2Server): void {
    server.on("session", (session: ServerHttp2Session) => {
      this.sessions.add(session);
      this.openedAt.set(session, this.now());
      session.setTimeout(this.idleMs, () => session.close());
      session.once("close", () => this.sessions.delete(session));
      // A protocol error or a reset connection ends that session; node:http2 destroys it after this.
      session.on("error", () => {});
    });
  }

  /** Open HTTP/2 connections (tests). */
  get size(): number {
    return this.sessions.size;
  }

  /** Every HTTP/2 request, before it is served: the connection's life, and its body's stall bound. */
  admit(req: Http2ServerRequest): void {
    const stream = req.stream;
    const session = stream.session;
    if (session) {
      const opened = this.openedAt.get(session);
      // GOAWAY names this stream as the last: it is served, the client opens a new connection after.
      if (opened !== undefined && this.now() - opened >= this.lifeMs) session.close();
    }
    if (!stream.endAfterHeaders) {
      stream.setTimeout(this.bodyIdleMs, () => stream.close(constants.NGHTTP2_CANCEL));
      req.once("end", () => stream.setTimeout(0));
    }
  }

  /** New timeouts from a reload, for the sessions opened from now on. */
  setTimeouts(idleMs: number, lifeMs: number, bodyIdleMs: number): void {
    this.idleMs = idleMs;
    this.lifeMs = lifeMs;
    this.bodyIdleMs = bodyIdleMs;
  }

  /** GOAWAY on every connection: requests in flight finish, new ones go to a new connection. */
  goAway(): void {
    for (const session of this.sessions) if (!session.closed) session.close();
  }
}
