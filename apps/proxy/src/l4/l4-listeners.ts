import { createServer, type Server, type Socket } from "node:net";
import type { Server as TlsServer } from "node:tls";
import { encodeProxyV2 } from "@scaleout/core";
import type { DataPlane } from "../data-plane.ts";
import { announceBound, listenOnPort } from "../listen-port.ts";
import type { RegistryWriter } from "../registry-writer.ts";
import type { SystemResources } from "../resources.ts";
import type { ListenerConfig, Snapshot } from "../snapshot.ts";
import { ListenerContexts, SecureContextCache } from "../tls/secure-contexts.ts";
import type { TlsState } from "../tls/tls-listener.ts";
import type { FlowProtocol } from "./flow-counters.ts";
import { flowTarget } from "./flow-target.ts";
import { forwardedGroupArn, hasTcpSide, tcpIdleTimeoutMs } from "./protocols.ts";
import { type FlowSettings, flowHighWaterMark, forgetAddresses, resetSocket, TcpFlow } from "./tcp-flow.ts";
import { createTlsTerminator } from "./tls-termination.ts";

interface L4Binding {
  server: Server | TlsServer;
  /** What it was bound as: a listener that changes protocol or ALPN policy is bound anew. */
  protocol: string;
  alpnPolicy: string | null;
  tls: TlsState | undefined;
  state: "binding" | "bound" | "failed";
  reason: string | null;
  idleMs: number;
  readonly flows: Set<TcpFlow>;
}

/**
 * Problems of a network load balancer's listeners that another system found (the UDP side of UDP and
 * TCP_UDP listeners), by port: they impair the load balancer as this system's own do.
 */
export type ListenerProblems = () => ReadonlyMap<number, string>;

/** How often idle flows are looked for: a flow outlives its idle timeout by at most this. */
const idleSweepMs = 250;

/**
 * The stream side of network load balancers' listeners (TCP, TLS, and TCP_UDP's TCP): one raw net or
 * tls server per port in every serving process, each connection one flow to a target chosen by its
 * 5-tuple. Keeps network load balancers' state true to their listeners (active, or active_impaired with
 * the reason), as Listeners does for application load balancers.
 */
export class L4Listeners {
  private readonly bindings = new Map<number, L4Binding>();
  private current: Snapshot | undefined;
  private readonly contexts = new SecureContextCache();
  private tlsProblems = new Map<number, string>();
  private readonly settings: FlowSettings;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly registry: Pick<RegistryWriter, "recordLoadBalancerState">,
    drained: () => void,
    private readonly otherProblems: ListenerProblems = () => new Map(),
  ) {
    this.settings = {
      connectTimeoutMs: resources.options.connectTimeoutMs ?? 10_000,
      drained,
      ended: (flow) => {
        for (const binding of this.bindings.values()) if (binding.flows.delete(flow)) return;
      },
    };
  }

  boundPorts(): number[] {
    const ports: number[] = [];
    for (const [port, binding] of this.bindings) if (binding.state === "bound") ports.push(port);
    return ports;
  }

  /** Flows open in this process (tests, diagnostics): every one is in its listener's binding. */
  openFlows(): number {
    let n = 0;
    for (const binding of this.bindings.values()) n += binding.flows.size;
    return n;
  }

  async sync(snapshot: Snapshot): Promise<void> {
    this.current = snapshot;
    /** Open flows of listeners bound anew (a protocol or ALPN change): the new binding sweeps them. */
    const carried = new Map<number, Set<TcpFlow>>();
    for (const [port, binding] of this.bindings) {
      const listener = snapshot.listeners.get(port);
      if (listener && this.fits(binding, listener)) continue;
      this.bindings.delete(port);
      binding.server.close();
      if (listener && hasTcpSide(listener.protocol)) {
        carried.set(port, binding.flows);
        continue;
      }
      // The listener is gone: its flows end now, reset both ways as NLB resets the connections of a
      // deleted listener; nothing would sweep them (or free them) any more.
      for (const flow of binding.flows) flow.listenerGone();
      binding.flows.clear();
    }
    this.tlsProblems = new Map();
    const binds: Array<Promise<void>> = [];
    for (const listener of snapshot.listeners.values()) {
      if (!hasTcpSide(listener.protocol)) continue;
      const contexts = this.tlsContexts(listener);
      let existing = this.bindings.get(listener.port);
      if (existing?.state === "failed") {
        this.bindings.delete(listener.port);
        existing = undefined;
      }
      if (existing) {
        existing.idleMs = tcpIdleTimeoutMs(listener);
        // New connections start on the new contexts; open ones keep theirs.
        if (existing.tls && contexts) existing.tls.contexts = contexts;
        continue;
      }
      const flows = carried.get(listener.port);
      carried.delete(listener.port);
      if (listener.protocol === "TLS" && !contexts) {
        for (const flow of flows ?? []) flow.listenerGone();
        continue;
      }
      binds.push(this.bind(listener, contexts, flows));
    }
    for (const flows of carried.values()) for (const flow of flows) flow.listenerGone();
    this.contexts.sweep();
    await Promise.all(binds);
    this.markLoadBalancers(snapshot);
    if (!this.sweepTimer && this.bindings.size > 0) {
      this.sweepTimer = setInterval(() => this.sweepIdle(), idleSweepMs);
      this.sweepTimer.unref();
    }
  }

  private fits(binding: L4Binding, listener: ListenerConfig): boolean {
    return (
      hasTcpSide(listener.protocol) &&
      (binding.protocol === "TLS") === (listener.protocol === "TLS") &&
      binding.alpnPolicy === listener.alpnPolicy
    );
  }

  private tlsContexts(listener: ListenerConfig): ListenerContexts | undefined {
    const tls = listener.tls;
    if (listener.protocol !== "TLS") return undefined;
    if (!tls) {
      this.tlsProblems.set(listener.port, `Listener on port ${listener.port} has no certificate`);
      return undefined;
    }
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

  private bind(
    listener: ListenerConfig,
    contexts: ListenerContexts | undefined,
    flows: Set<TcpFlow> = new Set(),
  ): Promise<void> {
    const port = listener.port;
    const tls: TlsState | undefined = contexts ? { contexts } : undefined;
    const server = tls
      ? createTlsTerminator(tls, listener.alpnPolicy)
      : createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: flowHighWaterMark });
    const binding: L4Binding = {
      server,
      protocol: listener.protocol,
      alpnPolicy: listener.alpnPolicy,
      tls,
      state: "binding",
      reason: null,
      idleMs: tcpIdleTimeoutMs(listener),
      flows,
    };
    const protocol: FlowProtocol = tls ? "TLS" : "TCP";
    server.on(tls ? "secureConnection" : "connection", (socket: Socket) =>
      this.accept(socket, binding, port, protocol),
    );
    if (tls) {
      // node:tls destroys the socket; the failure is counted as NLB counts it.
      server.on("tlsClientError", () => {
        const counts = this.listenerCounts(port, protocol);
        if (counts) counts.clientTlsErrors++;
      });
    }
    this.bindings.set(port, binding);
    return listenOnPort(server, binding, listener, this.resources, {
      lost: () => {
        if (this.current) this.markLoadBalancers(this.current);
      },
      bound: (host) => announceBound(this.resources, listener, host),
    });
  }

  /** The counts of a listener's flows that never reached a target (target ""). */
  private listenerCounts(port: number, protocol: FlowProtocol) {
    const snapshot = this.current;
    const listener = snapshot?.listeners.get(port);
    const lb = snapshot?.loadBalancers.get(listener?.loadBalancerArn ?? "");
    if (!snapshot || !listener || !lb) return undefined;
    const group = snapshot.targetGroups.get(forwardedGroupArn(listener) ?? "");
    return this.resources.flows.count({
      loadBalancer: lb.dimension,
      targetGroup: group?.dimension ?? "",
      target: "",
      protocol,
    });
  }

  /** A new client connection: a flow to the target its 5-tuple hashes to, or a reset when there is none. */
  private accept(socket: Socket, binding: L4Binding, port: number, protocol: FlowProtocol): void {
    const snapshot = this.current;
    const listener = snapshot?.listeners.get(port);
    const lb = snapshot?.loadBalancers.get(listener?.loadBalancerArn ?? "");
    const runtime = this.plane.groups.get(listener ? (forwardedGroupArn(listener) ?? "") : "");
    const now = this.resources.now();
    const tuple = {
      sourceIp: socket.remoteAddress ?? "",
      sourcePort: socket.remotePort ?? 0,
      destinationIp: socket.localAddress ?? "",
      destinationPort: socket.localPort ?? port,
      protocol: "TCP",
    } as const;
    forgetAddresses(socket);
    const target = runtime && flowTarget(runtime, tuple, now);
    if (!lb || !runtime || !target) {
      socket.on("error", () => {});
      const counts = this.listenerCounts(port, protocol);
      if (counts) counts.elbResets++;
      resetSocket(socket);
      return;
    }
    const counts = this.resources.flows.count({
      loadBalancer: lb.dimension,
      targetGroup: runtime.config.dimension,
      target: target.key,
      protocol,
    });
    const proxyHeader =
      runtime.config.attributes["proxy_protocol_v2.enabled"] === "true"
        ? encodeProxyV2({
            command: "PROXY",
            transport: "STREAM",
            addresses: {
              source: { address: tuple.sourceIp || "0.0.0.0", port: tuple.sourcePort },
              destination: { address: tuple.destinationIp || "0.0.0.0", port: tuple.destinationPort },
            },
            tlvs: [],
          })
        : undefined;
    const flow = new TcpFlow(
      socket,
      { runtime, target, counts, tls: runtime.config.protocol === "TLS", proxyHeader },
      this.settings,
      now,
    );
    binding.flows.add(flow);
  }

  /**
   * Flows on which nothing moved for the listener's tcp.idle_timeout.seconds are reset on both sides;
   * flows whose target has not answered the connect in time reset their client.
   */
  private sweepIdle(): void {
    const now = this.resources.now();
    for (const binding of this.bindings.values()) {
      for (const flow of binding.flows) {
        if (flow.connectExpired(now)) binding.flows.delete(flow);
        else if (flow.moved) {
          flow.moved = false;
          flow.lastActive = now;
        } else if (now - flow.lastActive >= binding.idleMs) {
          binding.flows.delete(flow);
          flow.idleReset();
        }
      }
    }
  }

  /** Marks network load balancers again (another system's problems changed without a reload). */
  refreshStates(): void {
    if (this.current) this.markLoadBalancers(this.current);
  }

  /** Network load balancers: active once every listener is served; active_impaired with the reasons. */
  private markLoadBalancers(snapshot: Snapshot): void {
    const others = this.otherProblems();
    for (const lb of snapshot.loadBalancers.values()) {
      if (lb.type !== "network") continue;
      let reason: string | null = null;
      for (const l of snapshot.listeners.values()) {
        if (l.loadBalancerArn !== lb.arn) continue;
        const binding = this.bindings.get(l.port);
        const problem =
          (binding?.state === "failed" ? binding.reason : null) ??
          this.tlsProblems.get(l.port) ??
          others.get(l.port) ??
          null;
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

  /** Stops accepting; open flows are left to end by themselves (the process's close bounds them). */
  close(): Array<Promise<void>> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const closed = [...this.bindings.values()].map(
      (binding) =>
        new Promise<void>((resolve) => {
          binding.server.close(() => resolve());
          // A proxy that stops ends its flows: nothing else would.
          for (const flow of binding.flows) flow.resetBoth();
        }),
    );
    this.bindings.clear();
    return closed;
  }
}
