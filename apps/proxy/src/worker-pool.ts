import cluster, { type Worker } from "node:cluster";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DrainGate } from "./draining.ts";
import type { FlowRecord } from "./l4/flow-counters.ts";
import type { CounterRecord } from "./metrics.ts";
import { proxyNodeEnv, proxyNodeFlags } from "./process-settings.ts";
import type { ServingFigures } from "./prometheus-figures.ts";
import type { TargetState } from "./targets.ts";
import type { WafReport } from "./waf/recorder.ts";
import { isWorkerMessage, type OwnerMessage, type WorkerMessage } from "./worker-messages.ts";

/** What the owner does with its workers' reports. */
export interface WorkerPoolHandlers {
  /** The message that brings a worker up to date: the current version and health view. */
  sync(): OwnerMessage;
  /** The snapshot version the owner routes on: an in-flight report from an older one does not count. */
  version(): number;
  /** A worker's counters; `flows`: its network load balancers' flow counts. */
  metrics(records: CounterRecord[], flows: FlowRecord[]): void;
  /** A worker's Prometheus figures; `exited`: that worker is gone, its gauges no longer count. */
  prometheus?(worker: number, figures: ServingFigures | "exited"): void;
  loadBalancerState(arn: string, state: string, reason: string | null): void;
  /** A worker's WAF figures (waf/recorder.ts). */
  waf?(report: WafReport): void;
}

interface Live {
  worker: Worker;
  startedAt: number;
  /** Set by its first message: before that, it cannot have heard a sync. */
  ready: boolean;
  /** Its last in-flight report: `group|key` → count, at `version`. */
  inflight: { version: number; counts: Map<string, number> } | undefined;
  /** The one worker whose `listener bound` lines are info (the others' are debug): one line a bind. */
  announces: boolean;
}

/**
 * The worker's own entry, beside the owner's: `dist/proxy-worker.mjs` (scripts/build.mjs) for the bundle
 * `dist/proxy.mjs`, worker-main.ts for the sources (tsx, tests). Undefined when there is none (a bundle
 * copied alone, e.g. a bench baseline): cluster then forks the owner's own entry, whose server.ts still
 * runs a worker when it finds itself one, only heavier.
 */
export function workerEntry(ownUrl: string = import.meta.url): string | undefined {
  const own = fileURLToPath(ownUrl);
  const entry = own.endsWith(".ts")
    ? join(dirname(own), "worker-main.ts")
    : own.replace(/\.m?js$/, "-worker.mjs");
  return entry !== own && existsSync(entry) ? entry : undefined;
}

/**
 * V8 flags a worker gets unless the owner was started with its own value of the same flag (the owner's
 * flags pass on to its workers): the old-generation cap of the shipped flags (process-settings.ts), so a
 * proxy started without them still caps its workers. `--max-old-space-size=1024`: a worker's live heap is about 15 MB even at
 * c200, but with the default limit (2-4 GB) V8 lets the old generation grow to up to 4× the live size
 * between full collections, and that garbage is RSS. V8's heap controller caps its growing factor by the
 * limit: 1.3 at or under 256 MB, rising to 2 just under 2 GB, 4 from there; 1024 MB gives 1.6. Measured
 * (bench/proxy-memory, w1 after c200, same run): no cap 107 MB; 1024 MB 89 MB; 256 MB 90 MB, whose
 * headroom of 0.3× the live heap (against 0.6×) runs full collections about twice as often (its GC and
 * CPU a request rose 5-10 µs in three runs).
 */
export const workerV8Flags = proxyNodeFlags.filter((flag) => flag.startsWith("--max-old-space-size="));

/**
 * glibc malloc settings a worker gets unless the owner's environment has its own (glibc reads them at
 * exec, so they go into a child's environment; scripts/start.ts gives the owner the same,
 * process-settings.ts).
 * `MALLOC_ARENA_MAX=2`: Node 24's V8 runs more threads, each of which may get an arena of its own that
 * is rarely given back. Measured on Node 24.22.3 (bench/proxy-memory, one process, same run, three runs):
 * RSS after c200 120/120/120 MB against 141/122/123; after the 1 MiB c8 row 154/164/191 MB against
 * 194/202/163; CPU a request within ±3 µs, a MiB lower. With two workers the runs did not separate.
 */
export const workerMallocEnv: Readonly<Record<string, string>> = proxyNodeEnv;

/** Each of `defaults` the owner's environment does not set: what cluster.fork adds to a worker's. */
export function workerEnv(
  ownerEnv: NodeJS.ProcessEnv,
  defaults: Readonly<Record<string, string>> = workerMallocEnv,
): Record<string, string> {
  return Object.fromEntries(Object.entries(defaults).filter(([name]) => ownerEnv[name] === undefined));
}

/** The owner's node flags followed by each of `defaults` whose flag the owner did not set. */
export function workerExecArgv(
  ownerArgv: readonly string[],
  defaults: readonly string[] = workerV8Flags,
): string[] {
  const name = (flag: string) => flag.split("=")[0]?.replaceAll("_", "-");
  const given = new Set(ownerArgv.map(name));
  return [...ownerArgv, ...defaults.filter((flag) => !given.has(name(flag)))];
}

/** A worker that lived this long before dying is not crash-looping: its replacement starts at once. */
const stableMs = 10_000;
const maxBackoffMs = 10_000;

/**
 * The owner's worker processes (node:cluster): forks `count`, replaces one that dies (back-off when
 * they keep dying, so a crash loop does not spin a core), broadcasts health and versions, and gathers
 * their metrics and in-flight counts. As the drain gate, it answers whether any worker still has a
 * request in flight to a draining target. Killing one worker leaves the others' connections alone:
 * with reusePort each worker owns its own listening socket, and with cluster's round robin the
 * primary only hands accepted connections over.
 */
export class WorkerPool implements DrainGate {
  private readonly live = new Map<number, Live>();
  private readonly respawns = new Set<NodeJS.Timeout>();
  private failures = 0;
  private closing = false;

  constructor(
    private readonly count: number,
    private readonly handlers: WorkerPoolHandlers,
    private readonly log: Pick<Console, "info" | "warn" | "error">,
  ) {}

  start(): void {
    const exec = workerEntry();
    const execArgv = workerExecArgv(process.execArgv);
    // An `exec` of undefined would replace cluster's default (the owner's own entry), not keep it.
    cluster.setupPrimary(exec ? { exec, execArgv } : { execArgv });
    for (let i = 0; i < this.count; i++) this.fork();
  }

  /** The worker pids, for the banner and tests. */
  pids(): number[] {
    const pids: number[] = [];
    for (const { worker } of this.live.values())
      if (worker.process.pid !== undefined) pids.push(worker.process.pid);
    return pids;
  }

  broadcast(message: OwnerMessage): void {
    for (const entry of this.live.values()) if (entry.ready) send(entry.worker, message);
  }

  busy(groupArn: string, target: TargetState): boolean {
    const key = `${groupArn}|${target.key}`;
    const version = this.handlers.version();
    for (const entry of this.live.values()) {
      const report = entry.inflight;
      // Not reported on this version yet: its requests to the target are unknown, so assume some.
      if (!report || report.version < version) return true;
      const count = report.counts.get(key);
      if (count === undefined || count > 0) return true;
    }
    return false;
  }

  left(groupArn: string, key: string): void {
    this.broadcast({ type: "drained", group: groupArn, key });
  }

  /** Every worker drains (up to `graceMs`) and exits; one that does not is killed. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const timer of this.respawns) clearTimeout(timer);
    this.respawns.clear();
    const exits = [...this.live.values()].map(
      ({ worker }) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) resolve();
          else worker.once("exit", () => resolve());
        }),
    );
    for (const { worker } of this.live.values()) send(worker, { type: "close", graceMs });
    const kill = setTimeout(() => {
      for (const { worker } of this.live.values()) worker.process.kill("SIGKILL");
    }, graceMs + 2000);
    await Promise.all(exits);
    clearTimeout(kill);
  }

  private fork(): void {
    const announces = ![...this.live.values()].some((live) => live.announces);
    const worker = cluster.fork({
      ...workerEnv(process.env),
      SCALEOUT_PROXY_ANNOUNCES: announces ? "1" : "0",
    });
    const entry: Live = { worker, startedAt: Date.now(), ready: false, inflight: undefined, announces };
    this.live.set(worker.id, entry);
    worker.on("message", (message: unknown) => {
      if (isWorkerMessage(message)) this.receive(entry, message);
    });
    // An IPC write to a worker that just died fails here, not as an uncaught exception.
    worker.on("error", (error: Error) =>
      this.log.warn(`proxy worker ${worker.process.pid}: ${error.message}`),
    );
    worker.once("exit", (code: number | null, signal: string | null) => {
      this.live.delete(worker.id);
      this.handlers.prometheus?.(worker.id, "exited");
      if (this.closing) return;
      const lived = Date.now() - entry.startedAt;
      this.failures = lived >= stableMs ? 0 : this.failures + 1;
      const delay = this.failures === 0 ? 0 : Math.min(maxBackoffMs, 100 * 2 ** (this.failures - 1));
      this.log.warn(
        `proxy worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); replacing it in ${delay} ms`,
      );
      const timer = setTimeout(() => {
        this.respawns.delete(timer);
        if (!this.closing) this.fork();
      }, delay);
      this.respawns.add(timer);
    });
  }

  private receive(entry: Live, message: WorkerMessage): void {
    switch (message.type) {
      case "ready":
        entry.ready = true;
        send(entry.worker, this.handlers.sync());
        return;
      case "metrics":
        this.handlers.metrics(message.counters, message.flows ?? []);
        return;
      case "inflight": {
        const counts = new Map<string, number>();
        for (const [group, key, count] of message.counts) counts.set(`${group}|${key}`, count);
        entry.inflight = { version: message.version, counts };
        return;
      }
      case "prometheus":
        this.handlers.prometheus?.(entry.worker.id, message.figures);
        return;
      case "lb-state":
        this.handlers.loadBalancerState(message.arn, message.state, message.reason);
        return;
      case "waf":
        this.handlers.waf?.(message.report);
        return;
    }
  }
}

function send(worker: Worker, message: OwnerMessage): void {
  if (!worker.isConnected()) return;
  // An error here means the worker died between the check and the write: its exit handler replaces it.
  worker.send(message, () => {});
}
