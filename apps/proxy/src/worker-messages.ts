import type { FlowRecord } from "./l4/flow-counters.ts";
import type { CounterRecord } from "./metrics.ts";
import type { ServingFigures } from "./prometheus-figures.ts";
import type { WafReport } from "./waf/recorder.ts";

/**
 * The owner ↔ worker protocol of a proxy run with several worker processes (IPC, JSON). Compact on
 * purpose: a configuration change sends its version, not the snapshot (each worker reads the registry
 * itself), and a health change sends one target.
 */

/** One target's health as the owner's checks see it: group ARN, `id:port`, state, reason, description, healthy since. */
export type HealthEntry = [
  group: string,
  key: string,
  state: string,
  reason: string | null,
  description: string | null,
  healthySince: number,
];

export type OwnerMessage =
  /**
   * Route on `version` (reload from SQLite if older) with this health view of every target; `udp`: the
   * UDP ports the owner (which alone serves UDP) could not bind, with why, for the workers' load
   * balancer states.
   */
  | { type: "sync"; version: number; health: HealthEntry[]; udp?: Array<[port: number, problem: string]> }
  /** One target's health moved. */
  | { type: "health"; entry: HealthEntry }
  /** The owner removed a drained target: it leaves, and what is still in flight to it is cut off. */
  | { type: "drained"; group: string; key: string }
  /** Stop accepting, finish in-flight requests within `graceMs`, send the last counters, exit. */
  | { type: "close"; graceMs: number }
  /** WAF rate-based rules: per limiter, the keys over the limit by every worker's counts. */
  | { type: "waf-shared"; verdict: Array<[limiter: string, keys: string[]]> };

export type WorkerMessage =
  /** Set up and listening for messages: the owner answers with a sync. */
  | { type: "ready" }
  /** The counters gathered since the last report (`flows`: network load balancers' flows). */
  | { type: "metrics"; counters: CounterRecord[]; flows?: FlowRecord[] }
  /** In-flight requests to every draining target this worker knows: [group, key, count]. */
  | { type: "inflight"; version: number; counts: Array<[group: string, key: string, count: number]> }
  /** Its Prometheus figures: target responses since the last report, gauges now (prometheus-figures.ts). */
  | { type: "prometheus"; figures: ServingFigures }
  /** A load balancer's state as this worker's listeners found it (bound, or not). */
  | { type: "lb-state"; arn: string; state: string; reason: string | null }
  /** WAF counts, samples and rate-based counts since the last report. */
  | { type: "waf"; report: WafReport };

const isRecord = (value: unknown): value is { type: unknown } =>
  typeof value === "object" && value !== null && "type" in value;

const ownerTypes = new Set(["sync", "health", "drained", "close", "waf-shared"]);
const workerTypes = new Set(["ready", "metrics", "inflight", "lb-state", "prometheus", "waf"]);

/** Messages come from our own processes; the check keeps node's and cluster's own messages apart. */
export function isOwnerMessage(value: unknown): value is OwnerMessage {
  return isRecord(value) && typeof value.type === "string" && ownerTypes.has(value.type);
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return isRecord(value) && typeof value.type === "string" && workerTypes.has(value.type);
}
