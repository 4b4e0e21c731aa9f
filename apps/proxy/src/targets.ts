import {
  type Candidate,
  HashRing,
  leastOutstanding,
  leastResponseTime,
  peakEwma,
  RoundRobin,
  slowStartWeight,
  weightedRandom,
} from "@scaleout/core";
import { InflightList } from "./inflight-list.ts";
import type { TargetConfig, TargetGroupConfig } from "./snapshot.ts";
import { TargetCounters } from "./target-counters.ts";
import type { UpstreamError } from "./upstream/errors.ts";
import { TargetConnections } from "./upstream/pool.ts";

/** What is in flight on a target: a drained target's delay running out aborts it. */
export interface InflightEntry {
  abort(error: UpstreamError): void;
}

/**
 * A target as the proxy sees it at run time: its health, its in-flight count and its latency. It
 * outlives configuration snapshots (matched by group and `id:port`), so a reload keeps health and
 * counters and never drops a connection.
 */
export class TargetState implements Candidate {
  readonly key: string;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  state: string;
  reason: string | null;
  description: string | null;
  drainDeadline: number | null;
  /**
   * When a draining target's last in-flight request finished (recorded as targets.drained_at, so its
   * instance may stop); it still shows `draining` until drainDeadline, as AWS shows it.
   */
  drainedAt: number | null = null;
  /** When the target last became healthy: slow start ramps from here. */
  healthySince = 0;
  weight = 1;
  outstanding = 0;
  /** The forwarded requests in flight, so a drained target's delay can cut them off. */
  readonly inflight = new InflightList<InflightEntry>();
  latency = 0;
  private latencyAt = 0;
  consecutivePasses = 0;
  consecutiveFails = 0;
  pool: TargetConnections;
  /** Its responses since the last Prometheus report (kept across snapshots, as its health is). */
  readonly counters = new TargetCounters();

  constructor(config: TargetConfig, pool: TargetConnections) {
    this.key = config.key;
    this.id = config.id;
    this.host = config.host;
    this.port = config.port;
    this.origin = originOf(config.host, config.port, pool.tls);
    this.state = config.state;
    this.reason = config.reason;
    this.description = config.description;
    this.drainDeadline = config.drainDeadline;
    if (config.state === "healthy") this.healthySince = 0;
    this.pool = pool;
  }

  recordLatency(ms: number, now: number): void {
    this.latency = peakEwma(this.latency, ms, now - this.latencyAt);
    this.latencyAt = now;
  }
}

export function originOf(host: string, port: number, tls = false): string {
  const scheme = tls ? "https" : "http";
  return host.includes(":") ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`;
}

/**
 * One keep-alive pool per target address, shared by every group that names it: the research baseline
 * showed a shared cache churning connections under load, a pool per target sized to the concurrency did not.
 */
export class PoolRegistry {
  private readonly pools = new Map<string, { pool: TargetConnections; users: number }>();

  constructor(private readonly options: { connectTimeoutMs: number; connections: number }) {}

  /** `tls`: an HTTPS target group's target, which has a pool of its own beside an HTTP one's. */
  acquire(host: string, port: number, tls = false): TargetConnections {
    const origin = originOf(host, port, tls);
    const entry = this.pools.get(origin);
    if (entry) {
      entry.users++;
      return entry.pool;
    }
    const pool = new TargetConnections(host, port, {
      connectTimeoutMs: this.options.connectTimeoutMs,
      maxConnections: this.options.connections,
      tls,
    });
    this.pools.set(origin, { pool, users: 1 });
    return pool;
  }

  release(origin: string): void {
    const entry = this.pools.get(origin);
    if (!entry) return;
    entry.users--;
    if (entry.users <= 0) {
      this.pools.delete(origin);
      // Idle connections close now, busy ones when their responses end.
      entry.pool.close();
    }
  }

  closeAll(): void {
    for (const { pool } of this.pools.values()) pool.close();
    this.pools.clear();
  }
}

/** Picks targets for one group with its algorithm, stickiness aside (that is the router's). */
export class TargetGroupRuntime {
  config: TargetGroupConfig;
  readonly targets = new Map<string, TargetState>();
  private readonly roundRobin = new RoundRobin();
  private readonly ring = new HashRing();
  /** Targets that may take new requests: recomputed when states change, not per request. */
  private routable: TargetState[] = [];
  private routableDirty = true;
  private slowStarting = false;

  constructor(config: TargetGroupConfig) {
    this.config = config;
  }

  invalidate(): void {
    this.routableDirty = true;
  }

  /** Healthy targets; if none is healthy, every registered one (ALB's fail-open); never a draining one. */
  routableTargets(now: number): TargetState[] {
    if (this.routableDirty) {
      const live = [...this.targets.values()].filter((t) => t.state !== "draining");
      const healthChecked = this.config.healthCheck.healthCheckEnabled;
      const healthy = healthChecked ? live.filter((t) => t.state === "healthy") : live;
      this.routable = healthy.length > 0 ? healthy : live;
      this.routableDirty = false;
      this.slowStarting = this.config.slowStartSeconds > 0 && this.routable.length > 1;
    }
    if (this.slowStarting) {
      let ramping = false;
      for (const t of this.routable) {
        t.weight =
          t.healthySince > 0 ? slowStartWeight(t.healthySince, now, this.config.slowStartSeconds) : 1;
        if (t.weight < 1) ramping = true;
      }
      if (!ramping) {
        for (const t of this.routable) t.weight = 1;
        this.slowStarting = false;
      }
    }
    return this.routable;
  }

  pick(clientIp: string, now: number, exclude?: TargetState): TargetState | undefined {
    let candidates = this.routableTargets(now);
    if (exclude && candidates.length > 1) candidates = candidates.filter((t) => t !== exclude);
    switch (this.config.algorithm) {
      case "least_outstanding_requests":
        return leastOutstanding(candidates, this.roundRobin) as TargetState | undefined;
      case "weighted_random":
        return weightedRandom(candidates) as TargetState | undefined;
      case "ip_hash":
        return this.ring.pick(candidates, clientIp) as TargetState | undefined;
      case "least_response_time":
        return leastResponseTime(candidates) as TargetState | undefined;
      default:
        return this.roundRobin.pick(candidates) as TargetState | undefined;
    }
  }

  /** A target that can still take a sticky request: registered, not draining, and healthy unless none is. */
  stickyTarget(key: string, now: number): TargetState | undefined {
    const target = this.targets.get(key);
    if (!target) return undefined;
    return this.routableTargets(now).includes(target) ? target : undefined;
  }
}
