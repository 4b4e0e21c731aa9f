import type { Socket } from "node:net";
import type { SecureContext, Server as TlsServer } from "node:tls";
import {
  createSecureListenerServer,
  type SecureListenerHandlers,
  type SecureListenerServer,
} from "../h2/server.ts";
import { maxClientHelloBytes, readClientHello } from "./client-hello.ts";
import type { ListenerContexts } from "./secure-contexts.ts";

/**
 * A TLS handshake (ClientHello included) that has not finished in this long ends: a client that opens a
 * connection and never speaks must not hold it (Node's default is 120 s). ALB's own bound is not
 * documented; 10 s is generous for a handshake over any real network.
 */
export const handshakeTimeoutMs = 10_000;

/** The live contexts of one listener: replaced on a reload, read by every new connection. */
export interface TlsState {
  contexts: ListenerContexts;
}

/**
 * The one place an HTTPS listener's server is made: node:http2's secure server (h2/server.ts), HTTP/2
 * and HTTP/1.1 by ALPN. A listener with SNI certificates reads each connection's ClientHello first; its
 * server name picks the context the TLS handshake starts on (from the listener's current contexts, so a
 * reload reaches new connections only), then node:tls takes the connection as it would have directly.
 * A listener with one selection skips the read.
 */
export function createTlsServer(
  state: TlsState,
  http2: boolean,
  now: () => number,
  handlers: SecureListenerHandlers,
): SecureListenerServer {
  const server = createSecureListenerServer({ handshakeTimeout: handshakeTimeoutMs }, http2, now, handlers);
  startOnServerNameContext(server, state);
  return server;
}

/**
 * Makes a node:tls server start each connection's handshake on the context its ClientHello's server name
 * selects (HTTPS listeners here, layer-4 TLS listeners in l4/). A server name callback would come too
 * late: OpenSSL has taken the protocol versions and ciphers from the first context by then.
 */
export function startOnServerNameContext(server: TlsServer, state: TlsState): void {
  // node:tls's own accept: it wraps the socket with the server's context (`_sharedCreds`) at once.
  const accept = server.listeners("connection") as Array<(this: TlsServer, socket: Socket) => void>;
  server.removeAllListeners("connection");
  const handOver = (socket: Socket, context: SecureContext) => {
    // Set and used in the same synchronous call: no other connection can see this one's context.
    Reflect.set(server, "_sharedCreds", context);
    for (const listener of accept) listener.call(server, socket);
  };
  server.on("connection", (socket: Socket) => {
    const only = state.contexts.only;
    if (only) handOver(socket, only);
    else awaitClientHello(socket, (serverName) => handOver(socket, state.contexts.contextFor(serverName)));
  });
}

/**
 * Reads until the ClientHello is whole (or is not one), puts every byte back, and hands the socket on
 * with the server name it named. A client that sends nothing is closed after the handshake timeout.
 */
function awaitClientHello(socket: Socket, handOver: (serverName: string | undefined) => void): void {
  let received: Buffer = Buffer.alloc(0);
  const onError = () => socket.destroy();
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const result = readClientHello(received);
    if (result.kind === "more" && received.length < maxClientHelloBytes) return;
    socket.off("data", onData);
    socket.off("error", onError);
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(received);
    // Not a ClientHello: OpenSSL refuses it on the default context, and the refusal is counted as ALB's.
    handOver(result.kind === "complete" ? result.serverName : undefined);
  };
  const onTimeout = () => socket.destroy();
  socket.on("data", onData);
  socket.on("error", onError);
  socket.on("timeout", onTimeout);
  socket.setTimeout(handshakeTimeoutMs);
}
