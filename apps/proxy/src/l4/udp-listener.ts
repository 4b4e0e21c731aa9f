import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { FlowTable } from "@scaleout/core";
import type { TargetGroupRuntime } from "../targets.ts";
import type { FlowCounters } from "./flow-counters.ts";
import { flowTarget } from "./flow-target.ts";
import { UdpFlow, type UdpFlowEnd } from "./udp-flow.ts";
import type { UdpStats } from "./udp-stats.ts";

/** Where one UDP listener's flows go, as of the last snapshot. */
export interface UdpRoute {
  listenerArn: string;
  /** `net/{name}/{id}`: the LoadBalancer dimension flows are counted under. */
  loadBalancer: string;
  /** The forward action's group; undefined when the listener forwards nowhere (datagrams are dropped). */
  group: TargetGroupRuntime | undefined;
}

/** What the listeners of one process share: the flow table, the clock, the counts. */
export interface UdpShared {
  table: FlowTable<UdpFlow>;
  now(): number;
  counting: FlowCounters;
  stats: UdpStats;
  /** A draining target's last flow ended (the draining sweep may mark it drained). */
  drained(): void;
}

/**
 * One UDP listener port (a UDP listener, or a TCP_UDP listener's UDP side): a socket bound on the port
 * that maps each client address to a flow in the shared table. A new flow picks its target by NLB's
 * 5-tuple hash among the group's routable targets (healthy, or all when none is: fail-open) and keeps it:
 * later datagrams of the flow follow it while it lives, even if the target turns unhealthy (NLB's
 * target_failover.on_unhealthy=no_rebalance, the default) or drains, and past the deregistration delay
 * when connection termination is off; a flow whose target otherwise left its group, or whose listener
 * now forwards elsewhere, starts over on its next datagram.
 */
export class UdpListener {
  readonly socket: Socket;
  route: UdpRoute;
  state: "binding" | "bound" | "failed" = "binding";
  private destinationIp = "";
  private readonly events = {
    reply: (flow: UdpFlow, datagram: Buffer) => {
      // A reply the client cannot take (its port closed, a full buffer) is one lost datagram.
      this.socket.send(datagram, flow.clientPort, flow.clientAddress, () => {});
    },
    ended: (flow: UdpFlow, why: UdpFlowEnd) => this.flowEnded(flow, why),
  };

  constructor(
    readonly port: number,
    readonly protocol: string,
    private readonly host: string,
    route: UdpRoute,
    private readonly shared: UdpShared,
  ) {
    this.route = route;
    this.socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4", reuseAddr: false });
    this.socket.on("message", (datagram, rinfo) => this.receive(datagram, rinfo));
  }

  /** Binds the port; answers the failure (the port is taken) instead of throwing. */
  bind(): Promise<string | null> {
    const host = this.host;
    return new Promise((resolve) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.state = "failed";
        resolve(
          `Listener on port ${this.port} cannot bind ${host}:${this.port}/udp: ${error.code ?? error.message}`,
        );
      };
      this.socket.once("error", onError);
      this.socket.bind({ port: this.port, address: host, exclusive: true }, () => {
        this.socket.off("error", onError);
        // Bound: a later socket error (none is expected for UDP) must not crash the process.
        this.socket.on("error", () => {});
        this.state = "bound";
        this.destinationIp = this.socket.address().address;
        resolve(null);
      });
    });
  }

  private receive(datagram: Buffer, rinfo: RemoteInfo): void {
    const shared = this.shared;
    const now = shared.now();
    const key = `${this.port}|${rinfo.address}|${rinfo.port}`;
    let flow = shared.table.touch(key, now);
    if (flow && !this.stillRouted(flow)) {
      flow.end("rerouted");
      flow = undefined;
    }
    if (!flow) flow = this.open(key, rinfo, now);
    if (!flow?.forward(datagram)) shared.stats.datagramsDropped++;
  }

  private stillRouted(flow: UdpFlow): boolean {
    const group = this.route.group;
    return (
      group !== undefined &&
      flow.groupArn === group.config.arn &&
      (flow.detached || group.targets.get(flow.target.key) === flow.target)
    );
  }

  private open(key: string, rinfo: RemoteInfo, now: number): UdpFlow | undefined {
    const group = this.route.group;
    if (!group) return undefined;
    const config = group.config;
    const target = flowTarget(
      group,
      {
        protocol: "UDP",
        sourceIp: rinfo.address,
        sourcePort: rinfo.port,
        destinationIp: this.destinationIp,
        destinationPort: this.port,
      },
      now,
    );
    if (!target) return undefined;
    const count = this.shared.counting.count({
      loadBalancer: this.route.loadBalancer,
      targetGroup: config.dimension,
      target: target.key,
      protocol: "UDP",
    });
    const flow = new UdpFlow(key, rinfo.address, rinfo.port, target, group, count, this.events);
    this.shared.stats.flowsOpened++;
    for (const evicted of this.shared.table.add(key, flow, now)) evicted.end("evicted");
    return flow;
  }

  private flowEnded(flow: UdpFlow, why: UdpFlowEnd): void {
    const stats = this.shared.stats;
    if (why === "evicted") stats.flowsEvicted++;
    else if (why === "expired") stats.flowsExpired++;
    else if (why === "unreachable") stats.flowsFailed++;
    // Evicted and expired flows have left the table already; the others leave it now.
    this.shared.table.delete(flow.key, flow);
    if (flow.target.state === "draining" && flow.target.outstanding === 0) this.shared.drained();
  }

  /** Stops receiving; the flows of this port are ended by the caller. */
  close(): void {
    try {
      this.socket.close();
    } catch {
      // Never bound.
    }
  }
}
