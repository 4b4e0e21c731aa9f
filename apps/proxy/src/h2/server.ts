import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2SecureServer,
  Http2ServerRequest,
  type SecureServerOptions,
} from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { Http1Connections, type Http1Handlers } from "../http1/connections.ts";
import { H2Response } from "./response.ts";
import { H2Sessions, http2Settings, offerHttp2 } from "./sessions.ts";

/** node:http2's secure server making H2Response objects for its HTTP/2 requests. */
export type H2Server = Http2SecureServer<
  typeof IncomingMessage,
  typeof ServerResponse,
  typeof Http2ServerRequest,
  typeof H2Response
>;

/**
 * An HTTPS listener's server: node:http2's secure server, which serves HTTP/2 to clients that choose
 * `h2` by ALPN; every other connection goes to the same HTTP/1.1 server side as plain HTTP listeners'
 * (http1/), not to node:http's, so one parser and one set of rules serve HTTP/1.1 on every listener.
 */
export type SecureListenerServer = H2Server & {
  /** The HTTP/1.1 connections, with their timeouts. */
  readonly http1: Http1Connections;
  /** HTTP/1.1: closes idle connections; HTTP/2: GOAWAY on every connection (in-flight streams finish). */
  closeIdleConnections(): void;
  readonly sessions: H2Sessions;
};

export interface SecureListenerHandlers {
  http1: Http1Handlers;
  http2(req: Http2ServerRequest, res: H2Response): void;
}

export function createSecureListenerServer(
  options: SecureServerOptions,
  http2: boolean,
  now: () => number,
  handlers: SecureListenerHandlers,
): SecureListenerServer {
  const sessions = new H2Sessions(now);
  const server = createSecureServer(
    {
      ...options,
      // node:https sets it, node:http2 does not: without it Nagle's algorithm holds small responses
      // back (bench/tls: HTTP/1.1 keep-alive at 0.64x the https server's rate before this).
      noDelay: true,
      // Offers http/1.1 by ALPN (the connections themselves are taken below, before node:http sees them).
      allowHTTP1: true,
      settings: http2Settings,
      // node:http2 resets a stream with more than 128 fields (ENHANCE_YOUR_CALM); HTTP/1.1 reads up to
      // 2000 before the classifier's byte limits decide. The same count here, pseudo-header fields aside.
      maxHeaderListPairs: 2004,
      Http2ServerResponse: H2Response,
    },
    (req, res) => {
      if (req instanceof Http2ServerRequest && res instanceof H2Response) {
        sessions.admit(req);
        handlers.http2(req, res);
      }
    },
  );
  const http1 = new Http1Connections(handlers.http1, () => server.listening);
  takeHttp1Connections(server, http1);
  offerHttp2(server, http2);
  sessions.attach(server);
  server.on("close", () => http1.stop());
  return Object.assign(server, {
    http1,
    sessions,
    closeIdleConnections(): void {
      http1.closeIdleConnections();
      sessions.goAway();
    },
  });
}

/**
 * node:http2's 'secureConnection' listener starts an HTTP/2 session for `h2` and hands anything else to
 * node:http (allowHTTP1): it is kept for `h2` only, and every other connection (`http/1.1`, or no ALPN)
 * goes to the own HTTP/1.1 server side.
 */
function takeHttp1Connections(server: H2Server, http1: Http1Connections): void {
  const http2Listeners = server.listeners("secureConnection") as Array<
    (this: H2Server, socket: Socket) => void
  >;
  server.removeAllListeners("secureConnection");
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol === "h2") for (const listener of http2Listeners) listener.call(server, socket);
    else http1.accept(socket);
  });
}
