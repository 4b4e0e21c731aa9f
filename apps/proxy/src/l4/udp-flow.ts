import { createSocket, type Socket } from "node:dgram";
import type { InflightLink } from "../inflight-list.ts";
import type { InflightEntry, TargetGroupRuntime, TargetState } from "../targets.ts";
import type { FlowCount } from "./flow-counters.ts";

/** Datagrams a flow holds while its upstream socket connects (microseconds on loopback); more are dropped. */
const maxPending = 32;

export type UdpFlowEnd = "expired" | "evicted" | "unreachable" | "rerouted" | "deregistered" | "closed";

/** What a flow tells its listener: a datagram the target sent back, and that the flow ended. */
export interface UdpFlowEvents {
  reply(flow: UdpFlow, datagram: Buffer): void;
  ended(flow: UdpFlow, why: UdpFlowEnd): void;
}

/**
 * One client's flow (its address and port, to one listener) pinned to one target, with a socket of its
 * own towards the target: the target sees one source port per client, and what it answers on that socket
 * can only be that client's. The socket is connected, so the kernel drops datagrams from any other address
 * or port (a target answering from another port is not heard, as through NLB), and an ICMP port
 * unreachable from a target that is gone arrives as an error that ends the flow. Datagrams pass as they
 * are: no reassembly, no copy.
 */
export class UdpFlow {
  private readonly socket: Socket;
  private pending: Buffer[] | undefined = [];
  private ended = false;
  /**
   * The target left its group (deregistered, the delay ran out) and the flow lives on: NLB ends it then
   * only with deregistration_delay.connection_termination.enabled (the default of UDP groups); with it
   * off, the flow continues until it idles out.
   */
  detached = false;
  /** Registered in the target's in-flight set: a draining target's delay running out reaches the flow. */
  private readonly handle = { abort: () => this.deregistered() };
  private inflight: InflightLink<InflightEntry> | undefined;

  constructor(
    readonly key: string,
    readonly clientAddress: string,
    readonly clientPort: number,
    readonly target: TargetState,
    private readonly group: TargetGroupRuntime,
    readonly count: FlowCount,
    private readonly events: UdpFlowEvents,
  ) {
    this.socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
    this.socket.on("message", (datagram) => {
      // A datagram is one packet whatever its size (FlowCount's estimate is for TCP's byte stream).
      this.count.bytesOut += datagram.length;
      this.count.packetsOut++;
      this.events.reply(this, datagram);
    });
    this.socket.on("error", () => this.end("unreachable"));
    // A failed connect is handed to this callback rather than emitted.
    this.socket.connect(target.port, target.host, (error?: Error) => {
      if (error) {
        this.end("unreachable");
        return;
      }
      const pending = this.pending ?? [];
      this.pending = undefined;
      for (const datagram of pending) this.send(datagram);
    });
    target.outstanding++;
    this.inflight = target.inflight.add(this.handle);
    count.open();
  }

  /** The group the flow was opened in (a listener that now forwards elsewhere starts its flows over). */
  get groupArn(): string {
    return this.group.config.arn;
  }

  private deregistered(): void {
    const terminate =
      this.group.config.attributes["deregistration_delay.connection_termination.enabled"] === "true";
    if (terminate) {
      this.end("deregistered");
      return;
    }
    this.detached = true;
    this.target.inflight.remove(this.inflight);
  }

  /** A client datagram towards the target. Answers false when it had to be dropped. */
  forward(datagram: Buffer): boolean {
    if (this.ended) return false;
    this.count.bytesIn += datagram.length;
    this.count.packetsIn++;
    if (this.pending) {
      if (this.pending.length >= maxPending) return false;
      this.pending.push(datagram);
      return true;
    }
    this.send(datagram);
    return true;
  }

  private send(datagram: Buffer): void {
    if (this.ended) return;
    // The callback keeps a send failure (EMSGSIZE, ECONNREFUSED) off the socket's error event: one lost
    // datagram is UDP's normal; an unreachable target shows as the receive error that ends the flow.
    this.socket.send(datagram, () => {});
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Ends the flow once: its socket closes and its listener hears why. */
  end(why: UdpFlowEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = undefined;
    this.target.outstanding--;
    this.target.inflight.remove(this.inflight);
    this.count.close();
    try {
      this.socket.close();
    } catch {
      // Already closed by a failed connect.
    }
    this.events.ended(this, why);
  }
}
