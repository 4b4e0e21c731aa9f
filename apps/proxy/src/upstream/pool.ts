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
}

const defaultMaxQueue = 1024;
const defaultQueueTimeoutMs = 3000;

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

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: PoolOptions,
  ) {
    this.maxQueue = options.maxQueue ?? defaultMaxQueue;
    this.queueTimeoutMs = options.queueTimeoutMs ?? defaultQueueTimeoutMs;
    this.tls = options.tls ?? false;
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
    // No timer of its own while idle: the exchange's idle timeout, still armed, closes it when nothing
    // moves for that long (re-arming one on each release and take cost two timers per request).
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
    for (const connection of this.idle) connection.socket.destroy();
    this.idle.length = 0;
  }
}
