import { defaultUdpFlowLimit, FlowTable, udpFlowIdleSeconds } from "@scaleout/core";
import type { DataPlane } from "../data-plane.ts";
import { announceBound } from "../listen-port.ts";
import type { SystemResources } from "../resources.ts";
import type { ListenerConfig, Snapshot } from "../snapshot.ts";
import { forwardedGroupArn } from "./protocols.ts";
import type { UdpFlow } from "./udp-flow.ts";
import { UdpListener, type UdpRoute, type UdpShared } from "./udp-listener.ts";
import { UdpStats } from "./udp-stats.ts";

/** Listener protocols with a UDP side. */
const udpProtocols = new Set(["UDP", "TCP_UDP"]);

/**
 * The UDP side of a network load balancer: a socket per UDP or TCP_UDP listener port, and one flow table
 * for them all, bounded (SCALEOUT: 10,000 flows a process by default; a flood of new sources evicts the
 * least recently used flow, so memory and file descriptors stay bounded) and swept for flows idle past
 * NLB's UDP timeout (120 s; 5 s in fast mode).
 *
 * One process serves UDP (the only one, or the owner of several workers), not every worker: a UDP port
 * shared by cluster workers is one socket whose datagrams the kernel hands to any of them, so one client's
 * datagrams would reach the target from several processes' sockets (several source ports for one flow);
 * SO_REUSEPORT would hash a flow to one worker, but dgram has it only from Node 22.12 (CI also runs 20) and
 * the hash moves flows whenever a worker restarts. See docs/aws-differences.md (UDP listeners).
 */
export class UdpListeners {
  private readonly bound = new Map<number, UdpListener>();
  private readonly shared: UdpShared;
  private readonly idleMs: number;
  private readonly sweepTimer: NodeJS.Timeout;
  private current: Snapshot | undefined;
  /** Ports whose UDP side could not be bound, with why: they impair their load balancer (L4Listeners). */
  private failures = new Map<number, string>();

  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    drained: () => void,
  ) {
    const options = resources.options;
    this.idleMs = options.udpIdleTimeoutMs ?? udpFlowIdleSeconds(false) * 1000;
    this.shared = {
      table: new FlowTable<UdpFlow>(options.udpFlowLimit ?? defaultUdpFlowLimit),
      now: resources.now,
      counting: resources.flows,
      stats: new UdpStats(),
      drained,
    };
    // A quarter of the timeout, at most a second: a flow outlives its timeout by that much at worst.
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, this.idleMs / 4)));
    this.sweepTimer.unref();
  }

  get stats(): UdpStats {
    return this.shared.stats;
  }

  /** Flows open now. */
  get flows(): number {
    return this.shared.table.size;
  }

  /** The UDP ports bound (for tests and the banner). */
  boundPorts(): number[] {
    return [...this.bound.values()].filter((l) => l.state === "bound").map((l) => l.port);
  }

  /** UDP sides that could not be bound, by port, as a load balancer's state reason words them. */
  problems(): ReadonlyMap<number, string> {
    return this.failures;
  }

  /** Binds new UDP listeners, unbinds removed ones, and points every listener at its current group. */
  async sync(snapshot: Snapshot): Promise<void> {
    this.current = snapshot;
    const failures = new Map<number, string>();
    for (const [port, listener] of this.bound) {
      const config = snapshot.listeners.get(port);
      if (config && udpProtocols.has(config.protocol) && listener.state !== "failed") continue;
      this.unbind(port, listener);
    }
    const binds: Array<Promise<void>> = [];
    for (const config of snapshot.listeners.values()) {
      if (!udpProtocols.has(config.protocol)) continue;
      const route = this.routeOf(config);
      const existing = this.bound.get(config.port);
      if (existing) {
        existing.route = route;
        continue;
      }
      const listener = new UdpListener(
        config.port,
        config.protocol,
        this.resources.options.bindHost,
        route,
        this.shared,
      );
      this.bound.set(config.port, listener);
      binds.push(
        listener.bind().then((problem) => {
          if (problem === null) {
            announceBound(this.resources, config, this.resources.options.bindHost, "/udp");
            return;
          }
          // Tried again on the next reload (the failed listener is unbound then).
          failures.set(config.port, problem);
          this.resources.log.error(`listener ${config.arn}: ${problem}`);
        }),
      );
    }
    await Promise.all(binds);
    this.failures = failures;
  }

  private routeOf(config: ListenerConfig): UdpRoute {
    const groupArn = forwardedGroupArn(config);
    return {
      listenerArn: config.arn,
      loadBalancer: this.current?.loadBalancers.get(config.loadBalancerArn)?.dimension ?? "",
      group: groupArn === undefined ? undefined : this.plane.groups.get(groupArn),
    };
  }

  private unbind(port: number, listener: UdpListener): void {
    this.bound.delete(port);
    listener.close();
    for (const flow of [...this.shared.table.values()])
      if (flow.key.startsWith(`${port}|`)) flow.end("closed");
  }

  /** Ends the flows idle past the timeout. */
  sweep(): void {
    for (const flow of this.shared.table.expire(this.resources.now(), this.idleMs)) flow.end("expired");
  }

  close(): void {
    clearInterval(this.sweepTimer);
    for (const [port, listener] of [...this.bound]) this.unbind(port, listener);
    for (const flow of this.shared.table.clear()) flow.end("closed");
  }
}
