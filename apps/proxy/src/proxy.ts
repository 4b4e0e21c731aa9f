import { DataPlane } from "./data-plane.ts";
import { Draining } from "./draining.ts";
import { Forwarding } from "./forwarding.ts";
import { HealthChecker } from "./health-checker.ts";
import { HttpRequests } from "./http-requests.ts";
import { Listeners } from "./listeners.ts";
import { MetricsFlush } from "./metrics-flush.ts";
import { RequestNormaliser } from "./normalise.ts";
import { RegistryWriter } from "./registry-writer.ts";
import { RequestOutcomes } from "./request-context.ts";
import { createResources, type ProxyOptions, type SystemResources } from "./resources.ts";
import { Router } from "./router.ts";
import { loadSnapshot, type Snapshot } from "./snapshot.ts";
import { Tunnel } from "./tunnel.ts";

export type { ProxyOptions } from "./resources.ts";

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
  private readonly listeners: Listeners;
  private readonly health: HealthChecker;
  private readonly draining: Draining;
  private readonly metricsFlush: MetricsFlush;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: ProxyOptions) {
    const resources = createResources(options);
    this.resources = resources;
    this.plane = new DataPlane(resources);
    this.registry = new RegistryWriter(resources);
    this.outcomes = new RequestOutcomes(resources);
    this.draining = new Draining(resources, this.plane, this.registry);
    this.health = new HealthChecker(resources, this.plane, this.registry);
    this.metricsFlush = new MetricsFlush(resources, this.plane, this.registry);
    const drained = () => this.draining.sweep();
    const http = new HttpRequests(
      resources,
      this.plane,
      new RequestNormaliser(resources),
      new Router(resources, this.plane),
      new Forwarding(resources, this.outcomes, drained),
      new Tunnel(resources, this.outcomes, drained),
      this.outcomes,
    );
    this.listeners = new Listeners(resources, this.registry, http);
  }

  get version(): number {
    return this.plane.snapshot?.version ?? -1;
  }

  /** The ports currently bound (for tests and the banner). */
  boundPorts(): number[] {
    return this.listeners.boundPorts();
  }

  async start(): Promise<void> {
    await this.reload();
    this.timers.push(setInterval(() => this.metricsFlush.flush(), 1000));
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
      next = loadSnapshot(this.resources.db);
    } catch (error) {
      this.resources.log.warn("could not read the registry; serving the last configuration", error);
      return false;
    }
    const removed = this.plane.apply(next);
    this.health.sync(removed);
    await this.listeners.sync(next);
    return true;
  }

  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), writes the last metrics. */
  async close(graceMs = 10_000): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.health.close();
    const closed = this.listeners.close();
    // Real time, not the injected clock: this waits for sockets, which only real time moves.
    const deadline = Date.now() + graceMs;
    while (this.outcomes.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 100))]);
    this.metricsFlush.flush();
    this.plane.close();
    await this.resources.accessLog.close();
  }
}
