import { Connection, Exchange, type ExchangeOptions, type ResponseSink } from "./connection.ts";
import { UpstreamError } from "./errors.ts";

export interface PoolOptions {
  connectTimeoutMs: number;
  maxConnections: number;
  /** Requests that may wait for a busy pool; one more fails at once with POOL_EXHAUSTED. */
  maxQueue?: number;
  /** How long a request waits for a connection before it fails alone with POOL_EXHAUSTED. */
  queueTimeoutMs?: number;
  /** The target speaks HTTPS (its group's protocol). */
  tls?: boolean;
  /** An idle connection no request took for between one and two of these is closed. */
  idleDecayMs?: number;
}

const defaultMaxQueue = 1024;
const defaultQueueTimeoutMs = 3000;
/**
 * Round robin piles a client's whole concurrency onto a target that stalls for a moment (a GC pause), so
 * a pool grows to every connection its busiest moment opened: each of two targets held all c of them
 * (100 sockets at c50, ~318 at c200, bench/proxy). Connections the usual load does not reach (the bottom
 * of the last-in first-out stack) are closed after a few seconds instead of the idle timeout's 60. A cap
 * on idle connections (nginx's `keepalive 64`) was measured instead and dropped: at c200 it closed and
 * reopened connections as the load swung, 95.7 against 70.3 us of CPU per request.
 */
const defaultIdleDecayMs = 2000;

/**
 * The keep-alive connections to one target, at most `maxConnections` of them. A request takes one only
 * when it can use it at once: after its body has arrived (or filled the read-ahead buffer). Beyond the
 * limit requests wait in a bounded queue for a bounded time, then fail alone.
 */
export class TargetConnections {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private closing = false;
  private readonly maxQueue: number;
  private readonly queueTimeoutMs: number;
  readonly tls: boolean;
  /** HTTPS: the last TLS session the target gave, offered by the next connection. */
  tlsSession: Buffer | undefined;
  /** Counts decay intervals; a released connection records it, so a sweep knows which sat unused. */
  private tick = 0;
  private readonly decay: NodeJS.Timeout;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: PoolOptions,
  ) {
    this.maxQueue = options.maxQueue ?? defaultMaxQueue;
    this.queueTimeoutMs = options.queueTimeoutMs ?? defaultQueueTimeoutMs;
    this.tls = options.tls ?? false;
    // One timer per pool, not per connection or request; it keeps no process alive.
    this.decay = setInterval(() => this.closeUnused(), options.idleDecayMs ?? defaultIdleDecayMs);
    this.decay.unref();
  }

  /** Connections open to the target, busy or idle (for tests and diagnostics). */
  get size(): number {
    return this.all.size;
  }

  /** Closes the idle connections no request took during the whole last interval. */
  private closeUnused(): void {
    this.tick++;
    // Taken last-in first-out: the least recently released are at the bottom.
    while (this.idle.length > 0 && (this.idle[0] as Connection).releasedAt < this.tick - 1) {
      this.idle.shift()?.socket.destroy();
    }
  }

  request(options: ExchangeOptions, sink: ResponseSink): Exchange {
    const exchange = new Exchange(options, sink, this);
    const body = exchange.body;
    // Bodiless requests (most) go straight to a connection; the read-ahead costs them nothing.
    if (!body) this.assign(exchange, false);
    else
      body.fill(() => {
        if (!exchange.done) this.assign(exchange, false);
      });
    return exchange;
  }

  private assign(exchange: Exchange, fresh: boolean): void {
    let connection: Connection | undefined;
    if (!fresh) {
      while (this.idle.length > 0) {
        const candidate = this.idle.pop();
        if (candidate && !candidate.socket.destroyed) {
          connection = candidate;
          break;
        }
      }
    }
    if (!connection) {
      if (this.all.size >= this.options.maxConnections && !fresh) {
        this.enqueue(exchange);
        return;
      }
      connection = new Connection(this, this.host, this.port, this.options.connectTimeoutMs);
      this.all.add(connection);
    }
    connection.start(exchange);
  }

  private enqueue(exchange: Exchange): void {
    if (this.waiting.length >= this.maxQueue) {
      // Failed on the next tick: the caller has not yet received the exchange it asked for.
      process.nextTick(() => this.exhausted(exchange, "the target's connection queue is full"));
      return;
    }
    this.waiting.push(exchange);
    exchange.queueTimer = setTimeout(
      () => this.exhausted(exchange, "no connection to the target became free in time"),
      this.queueTimeoutMs,
    );
  }

  private exhausted(exchange: Exchange, message: string): void {
    exchange.abort(new UpstreamError("POOL_EXHAUSTED", message));
  }

  /** The next waiting request, its queue timer stopped. */
  private nextWaiting(): Exchange | undefined {
    const next = this.waiting.shift();
    if (next?.queueTimer) {
      clearTimeout(next.queueTimer);
      next.queueTimer = undefined;
    }
    return next;
  }

  retryFresh(exchange: Exchange): void {
    this.assign(exchange, true);
  }

  release(connection: Connection): void {
    const next = this.nextWaiting();
    if (next) {
      connection.start(next);
      return;
    }
    if (this.closing) {
      connection.socket.destroy();
      return;
    }
    // No timer of its own while idle: the pool's decay sweep or the exchange's idle timeout, still armed,
    // closes it (re-arming one on each release and take cost two timers per request).
    connection.releasedAt = this.tick;
    this.idle.push(connection);
  }

  forget(connection: Connection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    // A slot freed up: a waiting request gets a new connection.
    if (this.closing) return;
    const next = this.nextWaiting();
    if (next) this.assign(next, false);
  }

  dequeue(exchange: Exchange): void {
    if (exchange.queueTimer) {
      clearTimeout(exchange.queueTimer);
      exchange.queueTimer = undefined;
    }
    const index = this.waiting.indexOf(exchange);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  /** Closes idle connections now and the others as their responses end. */
  close(): void {
    this.closing = true;
    clearInterval(this.decay);
    for (const connection of this.idle) connection.socket.destroy();
    this.idle.length = 0;
  }
}
