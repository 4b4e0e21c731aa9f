import { type NetConnectOpts, connect as netConnect, Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { TargetGroupRuntime, TargetState } from "../targets.ts";
import type { FlowCount } from "./flow-counters.ts";

/**
 * Ends a connection with a reset (RST) rather than a FIN, as NLB resets a flow. A TLS socket's reset
 * goes to the TCP socket under it: node's resetAndDestroy refuses a TLS handle, and destroying the TLS
 * socket first would send a FIN.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  const parent: unknown = Reflect.get(socket, "_parent");
  const raw = parent instanceof Socket && !parent.destroyed ? parent : socket;
  try {
    raw.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** What a flow needs beyond its two ends; one object per listener binding, shared by its flows. */
export interface FlowSettings {
  /** ALB's and NLB's connect timeout to targets (10 s). */
  connectTimeoutMs: number;
  /** A target whose last flow ended while it drains: the drain gate hears it. */
  drained(): void;
  /** The flow ended (the table forgets it). */
  ended(flow: TcpFlow): void;
}

/** Where a flow goes and what it starts with. */
export interface FlowTarget {
  runtime: TargetGroupRuntime;
  target: TargetState;
  counts: FlowCount;
  /** Target group protocol TLS: a TLS client to the target (not verified, as NLB). */
  tls: boolean;
  /** proxy_protocol_v2.enabled: the header, sent before the client's first byte. */
  proxyHeader: Uint8Array | undefined;
}

/**
 * Bytes a flow's socket buffers before it pushes back. With node's 16 KiB default, every 64 KiB read
 * pauses its reader at once; 128 KiB lets one read wait in the buffer while the next is read, and bounds
 * an active flow's buffers to a few reads. Idle flows allocate none of it.
 */
export const flowHighWaterMark = 128 * 1024;

const resetCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE"]);

/**
 * One client connection spliced to one target both ways: backpressure by pipe (a side that cannot
 * take more pauses the other's reads), half-close passed on (allowHalfOpen: a FIN from one side ends
 * the other's writes, the other direction keeps flowing), resets passed on as resets and counted by
 * who sent them. Activity is a flag the idle sweep reads, so a chunk costs no timer refresh; the
 * connect timeout is the same sweep's.
 */
export class TcpFlow {
  /** Something moved since the idle sweep last looked. */
  moved = false;
  /** When the idle sweep last saw something move (ms). */
  lastActive: number;
  readonly upstream: Socket;
  /** The TCP socket under a TLS target connection (resets go to it). */
  private readonly upstreamRaw: Socket;
  private open = 2;
  private finished = false;
  private connected = false;
  private readonly startedAt: number;

  constructor(
    readonly client: Socket,
    private readonly to: FlowTarget,
    private readonly settings: FlowSettings,
    now: number,
  ) {
    this.lastActive = now;
    this.startedAt = now;
    const { target, counts } = to;
    counts.open();
    target.outstanding++;
    target.inflight.add(this);
    // node:net passes the stream options on to the socket; its types do not list them.
    const options: NetConnectOpts & { writableHighWaterMark: number; readableHighWaterMark: number } = {
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      writableHighWaterMark: flowHighWaterMark,
      readableHighWaterMark: flowHighWaterMark,
    };
    const raw = netConnect(options);
    this.upstreamRaw = raw;
    this.upstream = to.tls
      ? // Half-open as its TCP socket is (node:tls takes allowHalfOpen from the socket it wraps).
        tlsConnect({ socket: raw, rejectUnauthorized: false })
      : raw;
    this.splice();
  }

  private splice(): void {
    const { client, upstream, to } = this;
    const counts = to.counts;
    const raw = this.upstreamRaw;
    raw.once("connect", () => {
      this.connected = true;
    });
    if (to.proxyHeader) upstream.write(to.proxyHeader);
    // By hand rather than pipe(): one listener a direction for data, count and backpressure, and no
    // pipe bookkeeping per socket (an idle flow's memory is mostly its two sockets' listeners).
    client.on("data", (chunk: Buffer) => {
      this.moved = true;
      counts.fromClient(chunk.length);
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("data", (chunk: Buffer) => {
      this.moved = true;
      counts.fromTarget(chunk.length);
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on("drain", () => client.resume());
    client.on("drain", () => upstream.resume());
    // A FIN is passed on; the other direction keeps flowing (allowHalfOpen on both sockets).
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", (error: NodeJS.ErrnoException) => {
      // The client's reset is passed on to the target, as a reset.
      if (error.code === "ECONNRESET") counts.clientResets++;
      resetSocket(raw);
      client.destroy();
    });
    const onUpstreamError = (error: NodeJS.ErrnoException) => {
      if (resetCodes.has(error.code ?? "")) counts.targetResets++;
      else if (to.tls && !this.secured()) counts.targetTlsErrors++;
      else counts.elbResets++;
      resetSocket(client);
      upstream.destroy();
    };
    upstream.on("error", onUpstreamError);
    if (upstream !== raw) raw.on("error", onUpstreamError);
    const onClose = () => {
      if (--this.open === 0) this.finish();
      // One side gone without an error (a destroy): the other cannot carry the flow alone.
      else if (!client.destroyed && upstream.destroyed && !client.writableEnded) client.end();
    };
    client.once("close", onClose);
    upstream.once("close", onClose);
  }

  /**
   * Called by the idle sweep: a target that has not answered the connect within the timeout (10 s, as
   * NLB and ALB) is given up on, and the client reset. A sweep rather than a timer per flow: timers
   * cost every new connection.
   */
  connectExpired(now: number): boolean {
    if (this.connected || now - this.startedAt < this.settings.connectTimeoutMs) return false;
    this.to.counts.elbResets++;
    this.resetBoth();
    return true;
  }

  private secured(): boolean {
    return Reflect.get(this.upstream, "_secureEstablished") === true;
  }

  /** Both ends reset (idle timeout, or a draining target's delay ran out with connection_termination). */
  resetBoth(): void {
    resetSocket(this.client);
    resetSocket(this.upstreamRaw);
    this.upstream.destroy();
  }

  /** Its listener was deleted: both sides are reset (counted as the load balancer's resets). */
  listenerGone(): void {
    this.to.counts.elbResets += 2;
    this.resetBoth();
  }

  /** The idle timeout ran out: NLB resets both sides. */
  idleReset(): void {
    this.to.counts.elbResets += 2;
    this.resetBoth();
  }

  /**
   * The target's deregistration delay ran out (draining.ts). With
   * deregistration_delay.connection_termination.enabled the flow is reset; otherwise it stays open,
   * as NLB leaves it, and only new flows avoid the target.
   */
  abort(): void {
    const terminate =
      this.to.runtime.config.attributes["deregistration_delay.connection_termination.enabled"] === "true";
    if (terminate) {
      this.to.counts.elbResets += 2;
      this.resetBoth();
    } else {
      this.to.target.inflight.delete(this);
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { target, counts } = this.to;
    counts.close();
    target.outstanding--;
    target.inflight.delete(this);
    this.settings.ended(this);
    if (target.state === "draining" && target.outstanding === 0) this.settings.drained();
  }
}
