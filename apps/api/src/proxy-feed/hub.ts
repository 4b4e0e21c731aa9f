import type { ServerResponse } from "node:http";
import { decideLease, holdsLease, type ProxyLease, releaseLease, type Sample } from "@scaleout/core";
import {
  type Db,
  deleteDrainedTarget,
  readConfigVersion,
  readRegistryData,
  readTargetHealth,
  recordSamples,
  writeLoadBalancerState,
  writeTargetDrained,
  writeTargetHealth,
} from "@scaleout/db";
import type { WafSampleBatch } from "@scaleout/queue";

/** One target's health as the proxies pass it on: group ARN, `id:port`, state, reason, description, healthy since. */
export type FeedHealthEntry = [string, string, string, string | null, string | null, number];

export interface ProxyReport {
  proxy: string;
  health?: Array<{
    targetGroupArn: string;
    id: string;
    port: number;
    state: string;
    reason: string | null;
    description: string | null;
    healthySince?: number;
  }>;
  drained?: Array<{ targetGroupArn: string; id: string; port: number; at: number }>;
  removed?: Array<{ targetGroupArn: string; id: string; port: number }>;
  loadBalancerStates?: Array<{ arn: string; state: string; reason: string | null }>;
  samples?: Sample[];
  waf?: WafSampleBatch;
}

type DrainRef = { targetGroupArn: string; id: string; port: number };

export interface ProxyFeedOptions {
  /** The registry, read when used (tests point one app at each test's own file). */
  db: () => Db;
  now?: () => number;
  /** How long a health-check lease lasts unless renewed (fast mode: 3 s; otherwise 10 s). */
  leaseTtlMs?: number;
  /** How often the configuration version is read while a proxy follows (one row by its key: cheap). */
  versionPollMs?: number;
  /** How often recorded health is compared with what was passed on (writers other than proxies' reports). */
  healthSweepMs?: number;
  heartbeatMs?: number;
  maxClients?: number;
  /** Where WAF's sampled requests from proxies go (server.ts: Redis, as the local proxy writes them). */
  wafSink?: (batch: WafSampleBatch) => Promise<void>;
  log: { warn(error: unknown, message: string): void };
}

/** Bytes a slow proxy may have queued before it is dropped (it reconnects and starts with a hello). */
const maxQueuedBytes = 16 * 1024 * 1024;
/**
 * A registry up to this size travels in the stream itself (`snapshot` events): a change then costs a
 * proxy no request of its own, which is most of the 100 ms budget on a loaded machine. Larger ones are
 * announced (`version`) and fetched with GET /v1/proxy/snapshot.
 */
const maxPushedBytes = 4 * 1024 * 1024;

/** A report from a proxy that does not hold the lease names health: refused, never written. */
export class LeaseNotHeld extends Error {}

/**
 * What proxies on other hosts follow instead of the SQLite file: the configuration version (each
 * change makes them fetch GET /v1/proxy/snapshot), the health of every target as the lease holder's
 * checks found it, and the lease itself. One per api process; streams are server-sent events.
 */
export class ProxyFeed {
  private readonly clients = new Set<ServerResponse>();
  /** The proxies following now, by stream (a stream opened without `?proxy=` names none). */
  private readonly followers = new Map<ServerResponse, string>();
  /**
   * Draining targets some proxies have reported drained, by `group|id:port`: the registry records a target
   * drained (its instance may stop) once every following proxy has, since each has its own requests to it.
   */
  private readonly drainReports = new Map<string, { at: number; by: Set<string>; ref: DrainRef }>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private version = -1;
  /** Numbers health events, so a test (or a person) can compare proxies' views at the same point. */
  private seq = 0;
  /** What was passed on last, by `group|key`: the sweep sends only what moved. */
  private readonly passed = new Map<string, string>();
  private lease: ProxyLease | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(private readonly options: ProxyFeedOptions) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.leaseTtlMs ?? 10_000;
  }

  get leaseTtlMs(): number {
    return this.ttlMs;
  }

  /** Opens a stream on `res` (already hijacked): a hello with the version and every target's health. */
  follow(res: ServerResponse, proxy?: string): "full" | "closed" | undefined {
    if (this.closed) return "closed";
    if (this.clients.size >= (this.options.maxClients ?? 100)) return "full";
    const health = this.readHealth();
    if (this.clients.size === 0) this.startTimers();
    this.clients.add(res);
    if (proxy !== undefined) this.followers.set(res, proxy);
    res.once("close", () => {
      this.clients.delete(res);
      this.followers.delete(res);
      if (this.clients.size === 0) this.stopTimers();
      // A proxy gone (stopped, or its host lost) no longer holds a draining target back.
      this.settleDrains();
    });
    const snapshot = this.readSnapshot();
    if (snapshot) this.version = snapshot.version;
    const entries: FeedHealthEntry[] = [];
    for (const row of health) {
      this.passed.set(`${row.targetGroupArn}|${row.key}`, stateKey(row.state, row.reason, row.description));
      entries.push([row.targetGroupArn, row.key, row.state, row.reason, row.description, 0]);
    }
    this.send(
      res,
      `event: hello\ndata: ${JSON.stringify({ version: this.version, seq: this.seq, health: entries, lease: this.currentLease() ?? null })}\n\n`,
    );
    if (snapshot?.text !== undefined) this.send(res, `event: snapshot\ndata: ${snapshot.text}\n\n`);
    return undefined;
  }

  /** A proxy asks for (or renews, or gives up) the health-check lease. */
  claim(proxy: string, release: boolean): { held: boolean; holder: string | null; ttlMs: number } {
    const now = this.now();
    if (release) {
      this.lease = releaseLease(this.lease, proxy);
      return { held: false, holder: this.currentLease()?.holder ?? null, ttlMs: this.ttlMs };
    }
    const before = this.currentLease()?.holder;
    const decision = decideLease(this.lease, proxy, now, this.ttlMs);
    this.lease = decision.lease;
    if (before !== decision.lease.holder) this.broadcast("lease", { holder: decision.lease.holder });
    return { held: decision.held, holder: decision.lease.holder, ttlMs: this.ttlMs };
  }

  /**
   * Writes what a proxy reports. Health counts only from the lease holder (a proxy that lost the lease
   * and does not know it yet must not undo the holder's view); drained targets, load balancer state and
   * metrics from every proxy, each write idempotent or additive.
   */
  report(report: ProxyReport): { health: number; drained: number; removed: number; samples: number } {
    const db = this.options.db();
    const now = this.now();
    if (report.health && report.health.length > 0 && !holdsLease(this.lease, report.proxy, now))
      throw new LeaseNotHeld(`Proxy '${report.proxy}' does not hold the health-check lease`);
    const entries: FeedHealthEntry[] = [];
    for (const h of report.health ?? []) {
      if (writeTargetHealth(db, h.targetGroupArn, h, now) === 0) continue; // gone, or draining
      const key = `${h.id}:${h.port}`;
      this.passed.set(`${h.targetGroupArn}|${key}`, stateKey(h.state, h.reason, h.description));
      entries.push([h.targetGroupArn, key, h.state, h.reason, h.description, h.healthySince ?? 0]);
    }
    if (entries.length > 0) this.broadcast("health", { seq: ++this.seq, entries });
    for (const d of report.drained ?? []) {
      const key = `${d.targetGroupArn}|${d.id}:${d.port}`;
      const entry = this.drainReports.get(key) ?? { at: d.at, by: new Set<string>(), ref: d };
      entry.by.add(report.proxy);
      entry.at = Math.max(entry.at, d.at);
      // Bounded: a proxy reporting targets that never settle cannot grow this without end.
      if (this.drainReports.size < 100_000 || this.drainReports.has(key)) this.drainReports.set(key, entry);
    }
    const drained = this.settleDrains();
    let removed = 0;
    for (const r of report.removed ?? []) {
      removed += deleteDrainedTarget(db, r.targetGroupArn, r);
      this.drainReports.delete(`${r.targetGroupArn}|${r.id}:${r.port}`);
    }
    for (const s of report.loadBalancerStates ?? []) writeLoadBalancerState(db, s.arn, s.state, s.reason);
    if (report.samples && report.samples.length > 0) recordSamples(db, report.samples);
    if (report.waf)
      void this.options
        .wafSink?.(report.waf)
        .catch((error: unknown) =>
          this.options.log.warn(error, "proxy feed: could not keep WAF's sampled requests"),
        );
    return { health: entries.length, drained, removed, samples: report.samples?.length ?? 0 };
  }

  /** Records the drained targets every following proxy has reported; answers how many it recorded. */
  private settleDrains(): number {
    if (this.drainReports.size === 0) return 0;
    const following = new Set(this.followers.values());
    let written = 0;
    for (const [key, entry] of this.drainReports) {
      if ([...following].some((proxy) => !entry.by.has(proxy))) continue;
      this.drainReports.delete(key);
      try {
        written += writeTargetDrained(this.options.db(), entry.ref.targetGroupArn, entry.ref, entry.at);
      } catch (error) {
        this.options.log.warn(error, "proxy feed: could not record a drained target");
      }
    }
    return written;
  }

  /** Ends every stream (the api is closing): the proxies keep serving and reconnect when it returns. */
  close(): void {
    this.closed = true;
    this.stopTimers();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private currentLease(): ProxyLease | undefined {
    const lease = this.lease;
    return lease && lease.expiresAt > this.now() ? lease : undefined;
  }

  private startTimers(): void {
    const poll = setInterval(() => {
      const version = this.readVersion();
      if (version === undefined || version === this.version) return;
      const snapshot = this.readSnapshot();
      if (!snapshot) return;
      this.version = snapshot.version;
      if (snapshot.text !== undefined) {
        const text = `event: snapshot\ndata: ${snapshot.text}\n\n`;
        for (const res of this.clients) this.send(res, text);
      } else this.broadcast("version", { version: snapshot.version });
    }, this.options.versionPollMs ?? 10);
    const sweep = setInterval(() => this.sweepHealth(), this.options.healthSweepMs ?? 1000);
    const heartbeat = setInterval(() => {
      for (const res of this.clients) this.send(res, ": heartbeat\n\n");
    }, this.options.heartbeatMs ?? 5000);
    this.timers = [poll, sweep, heartbeat];
    for (const timer of this.timers) timer.unref();
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /**
   * Health written by someone other than a proxy's report (the local proxy of `npm start` writes
   * SQLite itself; a draining row is the api's): passed on within a sweep.
   */
  private sweepHealth(): void {
    const entries: FeedHealthEntry[] = [];
    const current = new Set<string>();
    for (const row of this.readHealth()) {
      const id = `${row.targetGroupArn}|${row.key}`;
      current.add(id);
      const state = stateKey(row.state, row.reason, row.description);
      if (this.passed.get(id) === state) continue;
      this.passed.set(id, state);
      entries.push([row.targetGroupArn, row.key, row.state, row.reason, row.description, 0]);
    }
    // Deregistered targets leave the map, so it stays the size of the registry.
    for (const id of this.passed.keys()) if (!current.has(id)) this.passed.delete(id);
    if (entries.length > 0) this.broadcast("health", { seq: ++this.seq, entries });
  }

  private readVersion(): number | undefined {
    try {
      return readConfigVersion(this.options.db());
    } catch (error) {
      this.options.log.warn(error, "proxy feed: could not read the configuration version");
      return undefined;
    }
  }

  /** The registry rows now, serialised once for every proxy when small enough to push. */
  private readSnapshot(): { version: number; text: string | undefined } | undefined {
    try {
      const data = readRegistryData(this.options.db());
      const text = JSON.stringify(data);
      return { version: data.version, text: text.length <= maxPushedBytes ? text : undefined };
    } catch (error) {
      this.options.log.warn(error, "proxy feed: could not read the registry");
      return undefined;
    }
  }

  private readHealth(): ReturnType<typeof readTargetHealth> {
    try {
      return readTargetHealth(this.options.db());
    } catch (error) {
      this.options.log.warn(error, "proxy feed: could not read target health");
      return [];
    }
  }

  private broadcast(event: string, data: unknown): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.clients) this.send(res, text);
  }

  private send(res: ServerResponse, text: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.write(text);
    // Dropped, not ended: an end would wait behind the queued bytes. It reconnects and gets a hello.
    if (res.writableLength > maxQueuedBytes) res.destroy();
  }
}

const stateKey = (state: string, reason: string | null, description: string | null) =>
  `${state}\u0000${reason ?? ""}\u0000${description ?? ""}`;
