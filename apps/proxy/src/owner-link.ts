import type { FlowRecord } from "./l4/flow-counters.ts";
import type { CounterRecord } from "./metrics.ts";
import type { ServingFigures } from "./prometheus-figures.ts";
import type { WafReport } from "./waf/recorder.ts";
import { type HealthEntry, isOwnerMessage, type WorkerMessage } from "./worker-messages.ts";

/** What a worker does with its owner's messages, and what it reports. */
export interface OwnerLinkHandlers {
  sync(version: number, health: HealthEntry[], udpProblems: Array<[number, string]>): Promise<void>;
  health(entry: HealthEntry): void;
  drained(group: string, key: string): void;
  close(graceMs: number): void;
  /** The counters since the last call. */
  metrics(): CounterRecord[];
  /** Network load balancers' flow counts since the last call. */
  flows?(): FlowRecord[];
  /** The snapshot version routed on, and the in-flight count of every draining target. */
  inflight(): { version: number; counts: Array<[string, string, number]> };
  /** Prometheus figures since the last call; `withProcess`: include the process's own figures. */
  prometheus?(withProcess: boolean): Promise<ServingFigures>;
  /** WAF figures since the last call, and the owner's rate-based verdict to apply. */
  waf?(): WafReport;
  wafShared?(verdict: Array<[string, string[]]>): void;
}

/**
 * A worker's side of the IPC channel to its owner: applies syncs in arrival order (a health message
 * never overtakes the sync before it), reports metrics once a second and in-flight counts of draining
 * targets on every sync and whenever one of them falls to zero.
 */
export class OwnerLink {
  /** Syncs run one after another: a reload is asynchronous (listeners bind). */
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly handlers: OwnerLinkHandlers) {}

  start(): void {
    process.on("message", (message: unknown) => {
      if (!isOwnerMessage(message)) return;
      switch (message.type) {
        case "sync":
          this.queue = this.queue
            .then(() => this.handlers.sync(message.version, message.health, message.udp ?? []))
            .then(() => this.reportInflight());
          return;
        case "health":
          this.queue = this.queue.then(() => this.handlers.health(message.entry));
          return;
        case "drained":
          this.queue = this.queue.then(() => this.handlers.drained(message.group, message.key));
          return;
        case "close":
          this.handlers.close(message.graceMs);
          return;
        case "waf-shared":
          this.handlers.wafShared?.(message.verdict);
          return;
      }
    });
    let ticks = 0;
    this.timer = setInterval(() => {
      this.reportMetrics();
      // Process figures (CPU, memory, event loop) every fifth report: they are read, not counted.
      void this.handlers
        .prometheus?.(ticks++ % 5 === 0)
        .then((figures) => this.send({ type: "prometheus", figures }))
        .catch(() => {});
      const report = this.handlers.inflight();
      if (report.counts.length > 0) this.send({ type: "inflight", ...report });
    }, 1000);
    // Not unref'd: it keeps a worker alive until its first sync binds the listeners (the IPC channel
    // does not, guardProcess unrefs it); a worker ends by its close, never by running out of work.
    this.send({ type: "ready" });
  }

  reportInflight(): void {
    this.send({ type: "inflight", ...this.handlers.inflight() });
  }

  /** A load balancer's state as this worker's listeners found it: the owner writes it. */
  loadBalancerState(arn: string, state: string, reason: string | null): void {
    this.send({ type: "lb-state", arn, state, reason });
  }

  /** The last counters; answers once the owner's channel has taken them (the process exits next). */
  async finish(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const counters = this.handlers.metrics();
    const flows = this.handlers.flows?.() ?? [];
    if (counters.length === 0 && flows.length === 0) return;
    await new Promise<void>((resolve) => this.send({ type: "metrics", counters, flows }, resolve));
  }

  private reportMetrics(): void {
    const counters = this.handlers.metrics();
    const flows = this.handlers.flows?.() ?? [];
    if (counters.length > 0 || flows.length > 0) this.send({ type: "metrics", counters, flows });
    const waf = this.handlers.waf?.();
    if (waf && (waf.counters.length > 0 || waf.samples.length > 0 || waf.rates.length > 0))
      this.send({ type: "waf", report: waf });
  }

  private send(message: WorkerMessage, done?: () => void): void {
    if (!process.send || !process.connected) {
      done?.();
      return;
    }
    process.send(message, undefined, {}, () => done?.());
  }
}
