import { createServer, type Server } from "node:tls";
import { handshakeTimeoutMs, startOnServerNameContext, type TlsState } from "../tls/tls-listener.ts";
import { flowHighWaterMark } from "./tcp-flow.ts";

/**
 * A TLS listener's ALPN offer by its AlpnPolicy, in the server's order of preference (OpenSSL takes the
 * first of these the client also offers). None, or no policy: no ALPN at all.
 */
export function alpnProtocolsOf(policy: string | null): string[] | undefined {
  switch (policy) {
    case "HTTP1Only":
      return ["http/1.1"];
    case "HTTP2Only":
      return ["h2"];
    case "HTTP2Optional":
      return ["http/1.1", "h2"];
    case "HTTP2Preferred":
      return ["h2", "http/1.1"];
    default:
      return undefined;
  }
}

/**
 * The server of a layer-4 TLS listener: terminates TLS with the listener's certificates (SNI selection)
 * and security policy (the contexts carry its protocols and ciphers), offers ALPN by the AlpnPolicy,
 * and hands each established connection on as a plain stream. Half-open: a client's close_notify or FIN
 * ends only its direction of the flow.
 */
export function createTlsTerminator(state: TlsState, alpnPolicy: string | null): Server {
  const alpn = alpnProtocolsOf(alpnPolicy);
  const server = createServer({
    handshakeTimeout: handshakeTimeoutMs,
    allowHalfOpen: true,
    noDelay: true,
    highWaterMark: flowHighWaterMark,
    ...(alpn && { ALPNProtocols: alpn }),
  });
  startOnServerNameContext(server, state);
  return server;
}
