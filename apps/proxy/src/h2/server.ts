import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2SecureServer,
  Http2ServerRequest,
  type SecureServerOptions,
} from "node:http2";
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
 * `h2` by ALPN and HTTP/1.1 (node:http's parser and objects, `allowHTTP1`) to the others, with the same
 * server knobs the listeners set on an HTTP listener's node:http server.
 */
export type SecureListenerServer = H2Server & {
  keepAliveTimeout: number;
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
  requireHostHeader: boolean;
  /** HTTP/1.1: closes idle connections; HTTP/2: GOAWAY on every connection (in-flight streams finish). */
  closeIdleConnections(): void;
  readonly sessions: H2Sessions;
};

export interface SecureListenerHandlers {
  http1(req: IncomingMessage, res: ServerResponse): void;
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
      allowHTTP1: true,
      settings: http2Settings,
      // node:http2 resets a stream with more than 128 fields (ENHANCE_YOUR_CALM); node:http reads up to
      // 2000 before the classifier's byte limits decide. The same count here, pseudo-header fields aside.
      maxHeaderListPairs: 2004,
      Http2ServerResponse: H2Response,
    },
    (req, res) => {
      if (req instanceof Http2ServerRequest) {
        if (!(res instanceof H2Response)) return;
        sessions.admit(req);
        handlers.http2(req, res);
      } else if (!(res instanceof H2Response)) {
        handlers.http1(req, res);
      }
    },
  );
  offerHttp2(server, http2);
  sessions.attach(server);
  // node:http2's own: closes idle HTTP/1.1 connections only (and only with allowHTTP1).
  const closeHttp1Idle: unknown = Reflect.get(server, "closeIdleConnections");
  return Object.assign(server, {
    keepAliveTimeout: 5000,
    headersTimeout: 60_000,
    requestTimeout: 0,
    // node:http's sweep of slow headers, every second as on HTTP listeners (node:http2 sets 30 s).
    connectionsCheckingInterval: 1000,
    // node:http's default for its servers (HTTP/1.1 without Host is 400), which node:http2's lacks.
    requireHostHeader: true,
    sessions,
    closeIdleConnections(): void {
      if (typeof closeHttp1Idle === "function") closeHttp1Idle.call(server);
      sessions.goAway();
    },
  });
}
