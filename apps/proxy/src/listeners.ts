import type { Http2ServerRequest } from "node:http2";
import type { Socket } from "node:net";
import type { Http1ClientResponse } from "./client-messages.ts";
import type { H2Response } from "./h2/response.ts";
import type { SecureListenerServer } from "./h2/server.ts";
import { offerHttp2 } from "./h2/sessions.ts";
import type { Http1Handlers } from "./http1/connections.ts";
import type { Http1Request } from "./http1/request.ts";
import { Http1Server } from "./http1/server.ts";
import { isLayer4Protocol } from "./l4/protocols.ts";
import { announceBound, listenOnPort } from "./listen-port.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";
import type { ListenerConfig, Snapshot } from "./snapshot.ts";
import { ListenerContexts, SecureContextCache } from "./tls/secure-contexts.ts";
import { createTlsServer, type TlsState } from "./tls/tls-listener.ts";

/** What a listener's server hands its requests to. */
export interface RequestHandlers {
  request(req: Http1Request, res: Http1ClientResponse, port: number): void;
  upgrade(req: Http1Request, socket: Socket, head: Buffer, port: number): void;
}

/** What an HTTPS listener's server hands its HTTP/2 requests to. */
export interface Http2Handler {
  request(req: Http2ServerRequest, res: H2Response, port: number): void;
}

interface Binding {
  server: Http1Server | SecureListenerServer;
  /** HTTPS: the same server, with its HTTP/2 connections. */
  secure: SecureListenerServer | undefined;
  /** The listener's protocol when bound: a listener modified between HTTP and HTTPS is bound anew. */
  protocol: string;
  /** HTTPS: the contexts new connections start on. */
  tls: TlsState | undefined;
  state: "binding" | "bound" | "failed";
  /** Why it is failed: shown on the load balancer as its state reason. */
  reason: string | null;
  /** client_keep_alive.seconds in ms: a connection's whole life, after which its next response closes it. */
  keepAliveLifeMs: number;
  /** idle_timeout plus a second: how long a request body may stall before its connection is closed. */
  bodyIdleMs: number;
}

/**
 * When a connection was accepted, on the socket itself: a WeakMap entry per connection cost an ephemeron
 * for the GC to trace (about 0.4 us a connection, measured with a new key each time).
 */
const openedAt = Symbol("scaleout.openedAt");
type TimedSocket = Socket & { [openedAt]?: number };

/**
 * One HTTP server per listener port: binds, applies the load balancer's client timeouts, and keeps each
 * load balancer's state true to its listeners (active, or active_impaired with the reason when one
 * cannot bind or loses its port).
 */
export class Listeners {
  private readonly bindings = new Map<number, Binding>();
  private current: Snapshot | undefined;
  private readonly contexts = new SecureContextCache();
  /**
   * Listeners whose TLS configuration cannot be served (no certificate, unusable material), by port: not
   * bound (or, when bound already, still serving their last good contexts) and reported as impairing.
   */
  private tlsProblems = new Map<number, string>();

  constructor(
    private readonly resources: SystemResources,
    private readonly registry: Pick<RegistryWriter, "recordLoadBalancerState">,
    private readonly handlers: RequestHandlers,
    private readonly http2: Http2Handler,
  ) {}

  /** The ports currently bound (for tests and the banner). */
  boundPorts(): number[] {
    const ports: number[] = [];
    for (const [port, binding] of this.bindings) if (binding.state === "bound") ports.push(port);
    return ports;
  }

  /**
   * Open client connections per load balancer dimension, asked of each bound server when a Prometheus
   * report is made: nothing is counted per connection for it.
   */
  async activeConnections(): Promise<Array<[loadBalancer: string, count: number]>> {
    const byLb = new Map<string, number>();
    const counts = [...this.bindings].map(([port, binding]) => {
      const lb = this.current?.loadBalancers.get(this.current.listeners.get(port)?.loadBalancerArn ?? "");
      if (!lb || binding.state !== "bound") return Promise.resolve();
      return new Promise<void>((resolve) =>
        binding.server.getConnections((error, count) => {
          if (!error) byLb.set(lb.dimension, (byLb.get(lb.dimension) ?? 0) + count);
          resolve();
        }),
      );
    });
    await Promise.all(counts);
    return [...byLb];
  }

  async sync(snapshot: Snapshot): Promise<void> {
    this.current = snapshot;
    for (const [port, binding] of this.bindings) {
      const listener = snapshot.listeners.get(port);
      // A port that became a network load balancer's is l4/'s to bind.
      if (listener && !isLayer4Protocol(listener.protocol)) continue;
      this.bindings.delete(port);
      // Stop accepting; requests in flight finish, idle keep-alive connections close now.
      binding.server.close();
      binding.server.closeIdleConnections();
    }
    this.tlsProblems = new Map();
    const binds: Array<Promise<void>> = [];
    for (const listener of snapshot.listeners.values()) {
      if (isLayer4Protocol(listener.protocol)) continue;
      let existing = this.bindings.get(listener.port);
      if (existing && existing.protocol !== listener.protocol) {
        this.bindings.delete(listener.port);
        existing.server.close();
        existing.server.closeIdleConnections();
        existing = undefined;
      }
      const contexts = this.tlsContexts(listener);
      // A listener that could not bind (port taken) tries again on every reload until it can.
      if (existing?.state === "failed") this.bindings.delete(listener.port);
      else if (existing) {
        this.applyTimeouts(existing, snapshot, listener);
        // New connections start on the new contexts; open ones keep theirs.
        if (existing.tls && contexts) existing.tls.contexts = contexts;
        continue;
      }
      if (listener.tls && !contexts) continue;
      binds.push(this.bind(snapshot, listener, contexts));
    }
    this.contexts.sweep();
    await Promise.all(binds);
    this.markLoadBalancers(snapshot);
  }

  /**
   * An HTTPS listener's contexts, built from its certificates and policy; undefined for HTTP, and for a
   * listener that cannot serve TLS (its reason recorded in tlsProblems).
   */
  private tlsContexts(listener: ListenerConfig): ListenerContexts | undefined {
    const tls = listener.tls;
    if (!tls) return undefined;
    if (tls.problem !== null) {
      this.tlsProblems.set(listener.port, tls.problem);
      return undefined;
    }
    try {
      return ListenerContexts.build(this.contexts, tls.policy, tls.certificates);
    } catch (error) {
      const reason = `Listener on port ${listener.port} cannot use its certificates: ${error instanceof Error ? error.message : String(error)}`;
      this.tlsProblems.set(listener.port, reason);
      this.resources.log.error(`listener ${listener.arn}: ${reason}`);
      return undefined;
    }
  }

  /**
   * ALB's client-side timeouts: idle_timeout.timeout_seconds ends a connection on which nothing moved
   * (a keep-alive connection between requests, and a client that stops sending its body, whose upstream
   * exchange is then aborted); one second more than the target-side idle timeout, so a slow target is
   * answered 504 before its client is cut off. The header read is bounded the same way.
   * The socket timeout is armed only while a request body arrives: on every connection (server.timeout)
   * its refresh on each read and write cost ~12 % more CPU per request at c200 (bench/proxy, 74.3 against
   * 66.1 us); between requests keepAliveTimeout serves, and a stalled target or a client that stops
   * reading its response is caught by the target connection's own idle timeout.
   */
  private applyTimeouts(binding: Binding, snapshot: Snapshot, listener: ListenerConfig): void {
    const lb = snapshot.loadBalancers.get(listener.loadBalancerArn);
    const idle = lb?.idleTimeoutMs ?? 60_000;
    const http1 = binding.server.http1;
    http1.keepAliveTimeout = idle;
    http1.headersTimeout = idle + 1000;
    http1.bodyTimeout = idle + 1000;
    binding.bodyIdleMs = idle + 1000;
    binding.keepAliveLifeMs = lb?.clientKeepAliveMs ?? 3_600_000;
    if (binding.secure) {
      binding.secure.sessions.setTimeouts(idle, binding.keepAliveLifeMs, binding.bodyIdleMs);
      offerHttp2(binding.secure, lb?.http2Enabled ?? true);
    }
  }

  private bind(
    snapshot: Snapshot,
    listener: ListenerConfig,
    contexts: ListenerContexts | undefined,
  ): Promise<void> {
    const port = listener.port;
    const handlers = this.handlers;
    const now = this.resources.now;
    // Diagnostics (SCALEOUT_PROXY_WORKER_HEADER): which worker process answered, for tests of the spread.
    const workerHeader = this.resources.options.workerHeader ? String(process.pid) : undefined;
    const onRequest = (req: Http1Request, res: Http1ClientResponse) => {
      const opened = (req.socket as TimedSocket)[openedAt];
      if (opened !== undefined && now() - opened >= binding.keepAliveLifeMs) res.shouldKeepAlive = false;
      if (workerHeader !== undefined) res.setHeader("x-scaleout-worker", workerHeader);
      handlers.request(req, res, port);
    };
    const http1: Http1Handlers = {
      request: onRequest,
      upgrade: (req, socket, head) => handlers.upgrade(req, socket, head, port),
    };
    const tls: TlsState | undefined = contexts ? { contexts } : undefined;
    const http2 = this.http2;
    const secure = tls
      ? createTlsServer(
          tls,
          snapshot.loadBalancers.get(listener.loadBalancerArn)?.http2Enabled ?? true,
          now,
          {
            http1,
            http2: (req, res) => {
              if (workerHeader !== undefined) res.setHeader("x-scaleout-worker", workerHeader);
              http2.request(req, res, port);
            },
          },
        )
      : undefined;
    const server = secure ?? new Http1Server(http1);
    const binding: Binding = {
      server,
      secure,
      protocol: listener.protocol,
      tls,
      state: "binding",
      reason: null,
      keepAliveLifeMs: 3_600_000,
      bodyIdleMs: 61_000,
    };
    const metrics = this.resources.metrics;
    const loadBalancer = () => this.current?.loadBalancers.get(listener.loadBalancerArn);
    server.on("connection", (socket: TimedSocket) => {
      const lb = loadBalancer();
      if (lb) metrics.connection(lb);
      // A TLS connection's requests arrive on its TLS socket: its life starts there.
      if (!tls) socket[openedAt] = now();
    });
    if (tls) {
      server.on("secureConnection", (socket: TimedSocket) => {
        socket[openedAt] = now();
      });
      // The socket is destroyed by node:tls; the failure is counted as ALB counts it.
      server.on("tlsClientError", () => {
        const lb = loadBalancer();
        if (lb) metrics.tlsNegotiationError(lb);
      });
    }
    this.applyTimeouts(binding, snapshot, listener);
    this.bindings.set(port, binding);
    return listenOnPort(server, binding, listener, this.resources, {
      lost: () => {
        if (this.current) this.markLoadBalancers(this.current);
      },
      bound: (host) => announceBound(this.resources, listener, host),
    });
  }

  /** provisioning → active once every listener of a load balancer is bound; active_impaired when one cannot be. */
  private markLoadBalancers(snapshot: Snapshot): void {
    for (const lb of snapshot.loadBalancers.values()) {
      // A network load balancer's listeners are l4/'s, and so is its state.
      if (lb.type === "network") continue;
      let reason: string | null = null;
      for (const l of snapshot.listeners.values()) {
        if (l.loadBalancerArn !== lb.arn) continue;
        const binding = this.bindings.get(l.port);
        const problem = binding?.state === "failed" ? binding.reason : (this.tlsProblems.get(l.port) ?? null);
        if (problem !== null) reason = reason === null ? problem : `${reason}; ${problem}`;
      }
      const state = reason === null ? "active" : "active_impaired";
      if (lb.state === state && lb.stateReason === reason) continue;
      if (this.registry.recordLoadBalancerState(lb.arn, state, reason)) {
        lb.state = state;
        lb.stateReason = reason;
      }
    }
  }

  /** Stops accepting; answers when every server has closed (idle connections are closed now). */
  close(): Array<Promise<void>> {
    const closed = [...this.bindings.values()].map(
      (binding) =>
        new Promise<void>((resolve) => {
          binding.server.close(() => resolve());
          binding.server.closeIdleConnections();
        }),
    );
    this.bindings.clear();
    return closed;
  }
}
