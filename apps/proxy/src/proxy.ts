import type { MetricSnapshot } from "@scaleout/queue";
import { DataPlane } from "./data-plane.ts";
import { Draining } from "./draining.ts";
import { Forwarding } from "./forwarding.ts";
import { H2Requests } from "./h2/requests.ts";
import { HealthChecker } from "./health-checker.ts";
import { HttpRequests } from "./http-requests.ts";
import { L4Listeners } from "./l4/l4-listeners.ts";
import { UdpListeners } from "./l4/udp-listeners.ts";
import { Listeners } from "./listeners.ts";
import { MetricsFlush } from "./metrics-flush.ts";
import { RequestNormaliser } from "./normalise.ts";
import { OwnerLink } from "./owner-link.ts";
import { ProxyPrometheus, processRegistry } from "./prometheus.ts";
import { takeTargetFigures } from "./prometheus-figures.ts";
import { type RegistryWriter, SqliteRegistryWriter } from "./registry-writer.ts";
import { RequestOutcomes } from "./request-context.ts";
import { createResources, type ProxyOptions, type SystemResources } from "./resources.ts";
import { Router } from "./router.ts";
import { compileSnapshot, type Snapshot } from "./snapshot.ts";
import { Tunnel } from "./tunnel.ts";
import type { HealthEntry, OwnerMessage } from "./worker-messages.ts";
import { WorkerPool } from "./worker-pool.ts";

export type { ProxyOptions } from "./resources.ts";

/** The local registry's writer: the proxy's SQLite handle. */
function localWriter(options: ProxyOptions, resources: SystemResources): RegistryWriter {
  if (!options.db) throw new Error("a proxy without a SQLite handle needs a registry writer");
  return new SqliteRegistryWriter(options.db, resources.log, resources.now);
}

/**
 * How this process takes part: `single` does everything (workers = 1); with several workers the
 * `owner` (cluster primary) runs health checks, draining decisions, metrics and every registry write
 * and serves nothing, and each `worker` binds every listener and routes on the owner's health view and
 * snapshot version.
 */
export type ProxyRole = { kind: "single" } | { kind: "owner"; workers: number } | { kind: "worker" };

/**
 * The data plane's composition root: builds the systems over one set of shared resources and runs
 * them. Listeners bind a server per listener port and hand requests to the HTTP pipeline (normalise,
 * route, act or forward, tunnel); the health checker, draining and metrics flush run on timers; the
 * registry writer is the only one that writes SQLite.
 */
export class LoadBalancerProxy {
  private readonly resources: SystemResources;
  private readonly plane: DataPlane;
  private readonly registry: RegistryWriter;
  private readonly outcomes: RequestOutcomes;
  private readonly listeners: Listeners | undefined;
  /** Network load balancers' TCP and TLS listeners (the stream side of layer 4). */
  private readonly l4: L4Listeners | undefined;
  /** UDP listeners: served by one process (the only one, or the owner), see l4/udp-listeners.ts. */
  readonly udp: UdpListeners | undefined;
  private readonly health: HealthChecker | undefined;
  private readonly draining: Draining;
  private readonly metricsFlush: MetricsFlush;
  private readonly pool: WorkerPool | undefined;
  private readonly link: OwnerLink | undefined;
  /** The process that writes metrics keeps the Prometheus totals (a worker reports to it). */
  private readonly prometheus: ProxyPrometheus | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** A worker's close, once started. */
  private closing: Promise<void> | undefined;
  /** A worker: the UDP ports its owner could not bind (the owner alone serves UDP), from its last sync. */
  private ownerUdpProblems: ReadonlyMap<number, string> = new Map();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(options: ProxyOptions, role: ProxyRole = { kind: "single" }) {
    const resources = createResources(options);
    this.resources = resources;
    this.plane = new DataPlane(resources);
    this.registry = options.writer ?? localWriter(options, resources);
    this.outcomes = new RequestOutcomes(resources);
    const prometheus = role.kind === "worker" ? undefined : new ProxyPrometheus();
    this.prometheus = prometheus;
    this.metricsFlush = new MetricsFlush(resources, this.plane, this.registry, (samples) =>
      prometheus?.absorbSamples(samples),
    );

    if (role.kind === "owner") {
      const pool = new WorkerPool(
        role.workers,
        {
          sync: () => this.syncMessage(),
          version: () => this.version,
          metrics: (records, flows) => {
            resources.metrics.absorb(records);
            resources.flows.absorb(flows);
          },
          prometheus: (worker, figures) =>
            figures === "exited" ? prometheus?.forget(worker) : prometheus?.report(worker, figures),
          loadBalancerState: (arn, state, reason) =>
            this.registry.recordLoadBalancerState(arn, state, reason),
          waf: (report) => resources.waf.absorb(report, resources.now()),
        },
        resources.log,
      );
      this.pool = pool;
      // The owner's own UDP flows hold a draining target as the workers' requests and flows do.
      this.draining = new Draining(resources, this.plane, this.registry, {
        busy: (groupArn, target) => target.outstanding > 0 || pool.busy(groupArn, target),
        left: (groupArn, key) => pool.left(groupArn, key),
      });
      this.udp = new UdpListeners(resources, this.plane, () => this.draining.sweep());
      this.health = new HealthChecker(resources, this.plane, this.registry, (arn, t) =>
        pool.broadcast({
          type: "health",
          entry: [arn, t.key, t.state, t.reason, t.description, t.healthySince],
        }),
      );
      return;
    }

    this.draining = new Draining(resources, this.plane, this.registry);
    let drained = () => this.draining.sweep();
    let registry: Pick<RegistryWriter, "recordLoadBalancerState"> = this.registry;
    if (role.kind === "worker") {
      resources.waf.limiters.reporting = true;
      const workerFigures = processRegistry("proxy-workers");
      const link = new OwnerLink({
        sync: async (version, health, udpProblems) => {
          const problems = new Map(udpProblems);
          const changed = !sameProblems(problems, this.ownerUdpProblems);
          this.ownerUdpProblems = problems;
          if (version !== this.version) await this.reload();
          // The owner rebound a UDP port (or lost one) without a configuration change.
          else if (changed) this.l4?.refreshStates();
          for (const entry of health) this.plane.applyHealth(entry);
        },
        health: (entry) => this.plane.applyHealth(entry),
        drained: (group, key) => {
          const runtime = this.plane.groups.get(group);
          if (runtime) this.draining.leave(runtime, key);
        },
        close: (graceMs) => void this.closeWorker(graceMs),
        metrics: () => resources.metrics.export(),
        waf: () => resources.waf.export(),
        wafShared: (verdict) => resources.waf.applyShared(verdict),
        flows: () => resources.flows.export(),
        inflight: () => this.inflightReport(),
        prometheus: async (withProcess) => ({
          ...takeTargetFigures(this.plane),
          connections: (await this.listeners?.activeConnections()) ?? [],
          ...(withProcess && { process: await workerFigures.getMetricsAsJSON() }),
        }),
      });
      this.link = link;
      // The owner decides when a draining target leaves; a worker tells it when its count reaches zero.
      drained = () => link.reportInflight();
      // Load balancer state is a registry write: the owner's to make.
      registry = {
        recordLoadBalancerState: (arn, state, reason) => {
          link.loadBalancerState(arn, state, reason);
          return true;
        },
      };
    } else {
      this.health = new HealthChecker(resources, this.plane, this.registry);
      this.udp = new UdpListeners(resources, this.plane, drained);
    }
    const normaliser = new RequestNormaliser(resources);
    const router = new Router(resources, this.plane);
    const forwarding = new Forwarding(resources, this.outcomes, drained);
    const http = new HttpRequests(
      resources,
      this.plane,
      normaliser,
      router,
      forwarding,
      new Tunnel(resources, this.outcomes, drained),
      this.outcomes,
    );
    const http2 = new H2Requests(resources, this.plane, normaliser, router, forwarding, this.outcomes);
    this.listeners = new Listeners(resources, registry, http, http2);
    const udp = this.udp;
    // A UDP side that cannot bind impairs its load balancer as a TCP side does: this process's UDP
    // listeners', or, in a worker, those the owner's syncs name.
    this.l4 = new L4Listeners(
      resources,
      this.plane,
      registry,
      drained,
      () => udp?.problems() ?? this.ownerUdpProblems,
    );
  }

  /**
   * The Prometheus figures of the whole proxy (the api's GET /metrics merges them), from the process
   * that writes metrics; undefined in a worker. Series of deleted load balancers and targets are dropped.
   */
  async prometheusSnapshot(): Promise<MetricSnapshot | undefined> {
    const prometheus = this.prometheus;
    if (!prometheus) return undefined;
    // The single proxy serves too: its own figures are taken now rather than every second.
    if (this.listeners)
      prometheus.report(0, {
        ...takeTargetFigures(this.plane),
        connections: await this.listeners.activeConnections(),
      });
    const loadBalancers = new Set<string>();
    for (const lb of this.plane.snapshot?.loadBalancers.values() ?? []) loadBalancers.add(lb.dimension);
    const targets = new Set<string>();
    for (const runtime of this.plane.groups.values())
      for (const key of runtime.targets.keys()) targets.add(`${runtime.config.dimension}|${key}`);
    prometheus.retain(loadBalancers, targets);
    return prometheus.snapshot();
  }

  get version(): number {
    return this.plane.snapshot?.version ?? -1;
  }

  /** The ports currently bound (for tests and the banner). */
  boundPorts(): number[] {
    return [...(this.listeners?.boundPorts() ?? []), ...(this.l4?.boundPorts() ?? [])];
  }

  /** TCP and TLS flows open in this process (tests: a deleted listener's flows are gone). */
  tcpFlows(): number {
    return this.l4?.openFlows() ?? 0;
  }

  /** The worker processes' pids (owner only). */
  workerPids(): number[] {
    return this.pool?.pids() ?? [];
  }

  async start(): Promise<void> {
    if (this.link) {
      // A worker loads its first snapshot on the owner's first sync, so it starts on the owner's version.
      this.link.start();
      return;
    }
    await this.reload();
    this.pool?.start();
    this.timers.push(setInterval(() => this.metricsFlush.flush(), 1000));
    // WAF rate-based rules over several workers: the owner sums their counts and tells each the keys over.
    const pool = this.pool;
    if (pool)
      this.timers.push(
        setInterval(() => {
          const verdict = this.resources.waf.sharedOverLimit(this.resources.now());
          if (verdict.length > 0) pool.broadcast({ type: "waf-shared", verdict });
        }, 250),
      );
    this.timers.push(setInterval(() => this.draining.sweep(), 100));
    for (const timer of this.timers) timer.unref();
  }

  /**
   * Loads the registry and applies it. On failure (SQLite locked or unreadable) the last configuration
   * keeps serving; the next notification or poll tries again.
   */
  async reload(): Promise<boolean> {
    let next: Snapshot;
    try {
      const data = await this.resources.source.read(this.version);
      if (data === "unchanged") return true;
      next = compileSnapshot(data, this.resources.waf.limiters);
    } catch (error) {
      this.resources.log.warn("could not read the registry; serving the last configuration", error);
      if (this.link) this.retryReload();
      return false;
    }
    const removed = this.plane.apply(next);
    this.health?.sync(removed);
    // UDP first: the TCP side's sync (here, or the workers' on this sync) marks network load balancers
    // with the UDP side's problems too.
    await this.udp?.sync(next);
    this.pool?.broadcast(this.syncMessage());
    await Promise.all([this.listeners?.sync(next), this.l4?.sync(next)]);
    return true;
  }

  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), writes the last metrics. */
  async close(graceMs = 10_000): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.health?.close();
    this.udp?.close();
    await this.pool?.close(graceMs);
    const closed = [...(this.listeners?.close() ?? []), ...(this.l4?.close() ?? [])];
    // Real time, not the injected clock: this waits for sockets, which only real time moves.
    const deadline = Date.now() + graceMs;
    while (this.outcomes.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 100))]);
    if (this.link) await this.link.finish();
    else this.metricsFlush.flush();
    this.plane.close();
    await this.resources.accessLog.close();
  }

  /** A worker's close, asked by its owner or by a signal: once, then the process ends. */
  closeWorker(graceMs: number): Promise<void> {
    this.closing ??= this.close(graceMs).then(() => process.exit(0));
    return this.closing;
  }

  private syncMessage(): OwnerMessage {
    const udp = [...(this.udp?.problems() ?? [])];
    return { type: "sync", version: this.version, health: this.plane.healthView(), udp };
  }

  private inflightReport(): { version: number; counts: Array<[string, string, number]> } {
    const counts: Array<[string, string, number]> = [];
    for (const [arn, runtime] of this.plane.groups) {
      for (const target of runtime.targets.values())
        if (target.state === "draining") counts.push([arn, target.key, target.outstanding]);
    }
    return { version: this.version, counts };
  }

  /**
   * Health as another proxy's checks found it (several proxies fed by one api: the lease holder's, passed
   * on by the api). A proxy that checks itself does not take it: its own checks are the source.
   */
  applyHealth(entries: readonly HealthEntry[]): void {
    if (this.resources.options.checksActive?.() ?? true) return;
    for (const entry of entries) this.plane.applyHealth(entry);
  }

  /** Every target's health as this process routes on it (the agreement test compares proxies' views). */
  healthView(): HealthEntry[] {
    return this.plane.healthView();
  }

  /** A worker whose reload failed tries again shortly: its owner sends the next sync only on a change. */
  private retryReload(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reload().then(() => this.link?.reportInflight());
    }, 1000);
    this.retryTimer.unref();
  }
}

const sameProblems = (a: ReadonlyMap<number, string>, b: ReadonlyMap<number, string>): boolean =>
  a.size === b.size && [...a].every(([port, problem]) => b.get(port) === problem);
