import type { Random } from "@scaleout/core";
import type { Db } from "@scaleout/db";
import type { WafSampleBatch } from "@scaleout/queue";
import type { AccessLog } from "./access-log.ts";
import { FlowCounters } from "./l4/flow-counters.ts";
import { MetricsAggregator } from "./metrics.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import { type SnapshotSource, sqliteSource } from "./snapshot-source.ts";
import { WafRecorder } from "./waf/recorder.ts";

export interface ProxyOptions {
  /** The local registry (read and written), unless `source` and `writer` say otherwise. */
  db?: Db;
  /** Where snapshots come from (remote/api-source.ts for a proxy fed by the api); default: `db`. */
  source?: SnapshotSource;
  /** Where health, drained targets, load balancer state and metrics go; default: `db`. */
  writer?: RegistryWriter;
  /**
   * Whether this process runs health checks now (several proxies fed by one api: only the lease holder,
   * remote/lease.ts); default always. The others route on the health the api passes on.
   */
  checksActive?: () => boolean;
  bindHost: string;
  accessLog: AccessLog;
  /** Log every load balancer's requests, whatever its access_logs.s3.enabled attribute says. */
  logEveryLoadBalancer?: boolean;
  log: Pick<Console, "debug" | "info" | "warn" | "error">;
  /** ALB's connect timeout to targets is 10 s. */
  connectTimeoutMs?: number;
  /** Keep-alive connections per target. */
  connectionsPerTarget?: number;
  /** Bind listeners with SO_REUSEPORT (worker processes sharing each port; Node >= 22.12). */
  reusePort?: boolean;
  /**
   * Log each listener this process binds at info (default); false: at debug, for all workers but one,
   * which binds the same ports (the owner picks it), so a bind is one line.
   */
  announceListeners?: boolean;
  /** Answer every request with `x-scaleout-worker: <pid>` (diagnostics and tests of the spread over workers). */
  workerHeader?: boolean;
  /** UDP flows idle this long end (NLB: 120 s; fast mode shorter). */
  udpIdleTimeoutMs?: number;
  /** UDP flows one process holds at once; past it the least recently used is evicted. */
  udpFlowLimit?: number;
  /** Wall-clock ms; tests inject their own so time-driven behaviour needs no sleeping. */
  now?: () => number;
  /** Weighted forward picks; tests inject a deterministic sequence. */
  random?: Random;
  /** Where WAF's sampled requests and rate-based managed keys go each second (server.ts: Redis). */
  wafSink?: (batch: WafSampleBatch) => void;
}

/**
 * What every system of the proxy shares: where the registry comes from, the log, the clock, the metrics and the
 * access log. Systems take this object rather than each other, so a system can be built and tested alone.
 */
export interface SystemResources {
  source: SnapshotSource;
  log: Pick<Console, "debug" | "info" | "warn" | "error">;
  now: () => number;
  random: Random;
  metrics: MetricsAggregator;
  /** AWS WAF: rate counters, AWS/WAFV2 counts and sampled requests (waf/recorder.ts). */
  waf: WafRecorder;
  /** Layer-4 flows' counts (AWS/NetworkELB), by load balancer, target group, target and protocol. */
  flows: FlowCounters;
  accessLog: AccessLog;
  options: ProxyOptions;
}

export function createResources(options: ProxyOptions): SystemResources {
  const db = options.db;
  const source = options.source ?? (db ? sqliteSource(db) : undefined);
  if (!source) throw new Error("a proxy needs a registry: a SQLite handle or a snapshot source");
  return {
    source,
    log: options.log,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    metrics: new MetricsAggregator(),
    waf: new WafRecorder(),
    flows: new FlowCounters(),
    accessLog: options.accessLog,
    options,
  };
}
