import { type NetConnectOpts, connect as netConnect, Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { InflightLink } from "../inflight-list.ts";
import { bindReader, type OwnReader, ownReadAfter, ownReadsOnRead, readBufferSize } from "../own-reads.ts";
import type { InflightEntry, TargetGroupRuntime, TargetState } from "../targets.ts";
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

/**
 * Drops what reading a socket's addresses left on it: node caches getpeername's and getsockname's
 * answers on the socket (`_peername`, `_sockname`: an object and an address string each), which an idle
 * flow would hold for its whole life (~150 B of its ~2.4 KB of heap). A later read asks the kernel again.
 */
export function forgetAddresses(socket: Socket): void {
  Reflect.set(socket, "_peername", undefined);
  Reflect.set(socket, "_sockname", undefined);
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
 * Where a flow's sockets find their flow: one property on each socket instead of a closure per event
 * (an idle flow's memory was mostly its sockets' listeners), so every flow shares the handlers below.
 */
const flowKey = Symbol("tcpFlow");
interface FlowSocket extends Socket {
  [flowKey]?: TcpFlow;
}
const flowOf = (socket: Socket): TcpFlow | undefined => (socket as FlowSocket)[flowKey];
const attach = (socket: Socket, flow: TcpFlow): void => {
  (socket as FlowSocket)[flowKey] = flow;
};

function onClientData(this: Socket, chunk: Buffer): void {
  const flow = flowOf(this);
  if (!flow) return;
  flow.moved = true;
  flow.counts.fromClient(chunk.length);
  if (!flow.upstream.write(chunk)) {
    this.pause();
    flow.awaitDrain(flow.upstream, upstreamDrains, onTargetDrain);
  }
}

/** A TLS target's bytes (node:tls reads its TCP socket itself). */
function onTargetData(this: Socket, chunk: Buffer): void {
  const flow = flowOf(this);
  if (!flow) return;
  flow.moved = true;
  flow.counts.fromTarget(chunk.length);
  if (!flow.client.write(chunk)) {
    this.pause();
    flow.awaitDrain(flow.client, clientDrains, onClientDrain);
  }
}

function onClientDrain(this: Socket): void {
  flowOf(this)?.upstream.resume();
}

function onTargetDrain(this: Socket): void {
  flowOf(this)?.client.resume();
}

// A FIN is passed on; the other direction keeps flowing (allowHalfOpen on both sockets).
function onClientEnd(this: Socket): void {
  flowOf(this)?.upstream.end();
}

function onTargetEnd(this: Socket): void {
  flowOf(this)?.client.end();
}

function onClientError(this: Socket, error: NodeJS.ErrnoException): void {
  flowOf(this)?.clientFailed(error);
}

function onTargetError(this: Socket, error: NodeJS.ErrnoException): void {
  flowOf(this)?.targetFailed(error);
}

function onSocketClose(this: Socket): void {
  flowOf(this)?.sideClosed();
}

/** Bits of TcpFlow's `drains`: whose 'drain' the flow listens to. */
const clientDrains = 1;
const upstreamDrains = 2;

/**
 * Listens to a socket's 'end'. node's own 'end' listener on every socket (onReadableStreamEnd) only
 * stops the writes of a socket that is not half-open; both sides of a flow are, so there it does
 * nothing, and it is taken off: the flow's listener is then the only one, which the EventEmitter keeps
 * as the function itself instead of an array of two (~100 B a socket with its elements, for the
 * flow's whole life). Under any other name (another node) it stays.
 */
function onEnd(socket: Socket, listener: (this: Socket) => void): void {
  if (socket.allowHalfOpen)
    for (const existing of socket.rawListeners("end"))
      if (existing.name === "onReadableStreamEnd") socket.removeListener("end", existing as () => void);
  socket.on("end", listener);
}

/**
 * One client connection spliced to one target both ways: backpressure by hand (a side that cannot
 * take more pauses the other's reads), half-close passed on (allowHalfOpen: a FIN from one side ends
 * the other's writes, the other direction keeps flowing), resets passed on as resets and counted by
 * who sent them. Activity is a flag the idle sweep reads, so a chunk costs no timer refresh; the
 * connect timeout is the same sweep's.
 */
export class TcpFlow implements OwnReader {
  /** Something moved since the idle sweep last looked. */
  moved = false;
  /** When the idle sweep last saw something move (ms). */
  lastActive: number;
  readonly upstream: Socket;
  readonly counts: FlowCount;
  /**
   * Its target and group, kept as two fields rather than the FlowTarget it was given: one object
   * fewer a flow (the rest of FlowTarget is only needed to start it).
   */
  private readonly target: TargetState;
  private readonly runtime: TargetGroupRuntime;
  /** The TCP socket under a TLS target connection (resets go to it). */
  private readonly upstreamRaw: Socket;
  /** The buffer its target's next read goes into: its own once it streams (own-reads.ts), else the shared one. */
  nextReadBuffer: Buffer | undefined;
  private open = 2;
  private finished = false;
  /** Its place in the target's in-flight list (the deregistration delay cuts it off). */
  private inflight: InflightLink<InflightEntry> | undefined;
  /**
   * Whose 'drain' the flow listens to (`clientDrains`, `upstreamDrains`): added at the first write that
   * pushes back, as an idle flow never needs them (a listener is a property of the socket's events).
   */
  private drains = 0;
  private readonly startedAt: number;

  constructor(
    readonly client: Socket,
    to: FlowTarget,
    private readonly settings: FlowSettings,
    now: number,
  ) {
    this.lastActive = now;
    this.startedAt = now;
    const { target, counts } = to;
    this.counts = counts;
    this.target = target;
    this.runtime = to.runtime;
    counts.open();
    target.outstanding++;
    this.inflight = target.inflight.add(this);
    // node:net passes the stream options on to the socket; its types do not list them.
    const options: NetConnectOpts & { writableHighWaterMark: number; readableHighWaterMark: number } = {
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      writableHighWaterMark: flowHighWaterMark,
      readableHighWaterMark: flowHighWaterMark,
      // node:tls reads the TCP socket under a TLS connection itself.
      ...(!to.tls && { onread: ownReadsOnRead }),
    };
    const raw = netConnect(options);
    this.upstreamRaw = raw;
    this.upstream = to.tls
      ? // Half-open as its TCP socket is (node:tls takes allowHalfOpen from the socket it wraps).
        tlsConnect({ socket: raw, rejectUnauthorized: false })
      : raw;
    this.splice(to.proxyHeader);
  }

  private splice(proxyHeader: Uint8Array | undefined): void {
    const { client, upstream } = this;
    const raw = this.upstreamRaw;
    attach(client, this);
    attach(raw, this);
    if (upstream !== raw) attach(upstream, this);
    if (proxyHeader) upstream.write(proxyHeader);
    client.on("data", onClientData);
    if (upstream === raw) {
      bindReader(raw, this);
      // onread delivers the bytes; flowing mode lets the end of the stream be emitted.
      upstream.resume();
    } else {
      upstream.on("data", onTargetData);
    }
    onEnd(client, onClientEnd);
    onEnd(upstream, onTargetEnd);
    client.on("error", onClientError);
    upstream.on("error", onTargetError);
    if (upstream !== raw) raw.on("error", onTargetError);
    // on, not once: a socket closes once, and once's wrapper would be two more objects a socket.
    client.on("close", onSocketClose);
    upstream.on("close", onSocketClose);
  }

  /**
   * A read from a plain TCP target (onread, own-reads.ts); false pauses the target's reads until the
   * client drains. A streaming flow's own buffer is reused while the client's socket takes each write
   * whole, and replaced when a write is left queued (that write still refers to its bytes).
   */
  fromRead(nread: number, buf: Uint8Array): boolean {
    this.moved = true;
    this.counts.fromTarget(nread);
    const own = buf === this.nextReadBuffer;
    const view = Buffer.from(buf.buffer, buf.byteOffset, nread);
    // The shared buffer is every quiet flow's next read: what landed there is copied out.
    const chunk = own ? view : Buffer.from(view);
    if (!own && nread >= ownReadAfter) this.nextReadBuffer = Buffer.allocUnsafeSlow(readBufferSize);
    const ok = this.client.write(chunk);
    // A write the kernel did not take whole still refers to the buffer: the next read needs another.
    if (own && this.client.writableLength > 0) this.nextReadBuffer = Buffer.allocUnsafeSlow(readBufferSize);
    if (!ok) this.awaitDrain(this.client, clientDrains, onClientDrain);
    return ok;
  }

  /** A write to `socket` pushed back: its 'drain' resumes the other side (listened to from now on). */
  awaitDrain(socket: Socket, bit: number, listener: (this: Socket) => void): void {
    if ((this.drains & bit) !== 0) return;
    this.drains |= bit;
    socket.on("drain", listener);
  }

  clientFailed(error: NodeJS.ErrnoException): void {
    // The client's reset is passed on to the target, as a reset.
    if (error.code === "ECONNRESET") this.counts.clientResets++;
    resetSocket(this.upstreamRaw);
    this.client.destroy();
  }

  targetFailed(error: NodeJS.ErrnoException): void {
    const counts = this.counts;
    if (resetCodes.has(error.code ?? "")) counts.targetResets++;
    // A TLS target's socket is the TLS one over its TCP socket.
    else if (this.upstream !== this.upstreamRaw && !this.secured()) counts.targetTlsErrors++;
    else counts.elbResets++;
    resetSocket(this.client);
    this.upstream.destroy();
  }

  sideClosed(): void {
    const { client, upstream } = this;
    if (--this.open === 0) this.finish();
    // One side gone without an error (a destroy): the other cannot carry the flow alone.
    else if (!client.destroyed && upstream.destroyed && !client.writableEnded) client.end();
  }

  /**
   * Called by the idle sweep: a target that has not answered the connect within the timeout (10 s, as
   * NLB and ALB) is given up on, and the client reset. A sweep rather than a timer per flow: timers
   * cost every new connection.
   */
  connectExpired(now: number): boolean {
    // `connecting` (node's) turns false at the connect, or when the socket is destroyed before it.
    if (!this.upstreamRaw.connecting || now - this.startedAt < this.settings.connectTimeoutMs) return false;
    this.counts.elbResets++;
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
    this.counts.elbResets += 2;
    this.resetBoth();
  }

  /** The idle timeout ran out: NLB resets both sides. */
  idleReset(): void {
    this.counts.elbResets += 2;
    this.resetBoth();
  }

  /**
   * The target's deregistration delay ran out (draining.ts). With
   * deregistration_delay.connection_termination.enabled the flow is reset; otherwise it stays open,
   * as NLB leaves it, and only new flows avoid the target.
   */
  abort(): void {
    const terminate =
      this.runtime.config.attributes["deregistration_delay.connection_termination.enabled"] === "true";
    if (terminate) {
      this.counts.elbResets += 2;
      this.resetBoth();
    } else {
      this.target.inflight.remove(this.inflight);
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.nextReadBuffer = undefined;
    const { target, counts } = this;
    counts.close();
    target.outstanding--;
    target.inflight.remove(this.inflight);
    this.settings.ended(this);
    if (target.state === "draining" && target.outstanding === 0) this.settings.drained();
  }
}
