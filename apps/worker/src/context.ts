import type { ComputeDriver } from "@scaleout/compute";
import type { Db } from "@scaleout/db";
import type { Queues } from "@scaleout/queue";
import type { InstanceRegistry, Services } from "@scaleout/services";
import type { Logger } from "./log.ts";
import type { InstanceMetadata } from "./metadata/instance-metadata.ts";

/** How often and how patiently the worker does things; fast mode shortens the waits (DESIGN.md). */
export interface WorkerTiming {
  /**
   * collect-metrics runs this often, `collectOffsetMs` after each multiple of it: with 1 s, just after
   * each second ends, so a CPU reading covers one whole second and is stamped with that second.
   */
  collectMetricsMs: number;
  collectOffsetMs: number;
  /**
   * evaluate-alarms runs this often, `evaluateOffsetMs` after each multiple of it: once collect-metrics
   * has written the second that just ended.
   */
  evaluateAlarmsMs: number;
  evaluateOffsetMs: number;
  /**
   * A period counts as complete this long after it ends, so the samples of its last second have landed:
   * the proxy writes a second's request metrics up to a second after it ends, PutMetricData any time.
   */
  alarmSettleMs: number;
  /**
   * The same for AWS/EC2 metrics, which only collect-metrics writes: `collectOffsetMs` after the second
   * plus the time a collection takes. Must be less than `evaluateOffsetMs` to evaluate a second at the
   * first run after it was collected; a collection that takes longer only delays its second by one run.
   */
  ec2SettleMs: number;
  /** An alarm that stays in ALARM invokes its Auto Scaling actions again this often (0: every period). */
  alarmRepeatMs: number;
  /** Due scheduled actions are looked for this often. */
  scheduledActionsMs: number;
  /** Every group is reconciled at least this often, whatever Redis delivered. */
  resyncMs: number;
  /** While an instance is in transit (launching, draining), its group is looked at again after this. */
  followUpMs: number;
  /** The first wait after a refused launch; it doubles with each further refusal up to `launchBackoffMaxMs`. */
  launchBackoffMs: number;
  launchBackoffMaxMs: number;
  /** Seconds between SIGTERM and SIGKILL when an instance is stopped. */
  terminateGraceSeconds: number;
  /** BullMQ job lock: a job of a worker that died is taken over after about this long. */
  lockDurationMs: number;
  /** Datapoints older than this are pruned, at most once a minute. */
  metricRetentionMs: number;
}

export function defaultTiming(fast: boolean, env: NodeJS.ProcessEnv = process.env): WorkerTiming {
  const retentionHours = Number(env.SCALEOUT_METRIC_RETENTION_HOURS ?? "24");
  if (!Number.isFinite(retentionHours) || retentionHours <= 0) {
    throw new Error(
      `SCALEOUT_METRIC_RETENTION_HOURS must be a positive number, got '${env.SCALEOUT_METRIC_RETENTION_HOURS}'`,
    );
  }
  return {
    collectMetricsMs: 1_000,
    collectOffsetMs: 20,
    evaluateAlarmsMs: 1_000,
    evaluateOffsetMs: 400,
    alarmSettleMs: 1_000,
    ec2SettleMs: 300,
    alarmRepeatMs: fast ? 0 : 60_000,
    scheduledActionsMs: 1_000,
    resyncMs: fast ? 2_000 : 10_000,
    followUpMs: 250,
    launchBackoffMs: fast ? 1_000 : 10_000,
    launchBackoffMaxMs: 300_000,
    terminateGraceSeconds: 2,
    lockDurationMs: fast ? 4_000 : 15_000,
    metricRetentionMs: retentionHours * 3_600_000,
  };
}

/** What every processor works with. */
export interface WorkerContext {
  db: Db;
  services: Services;
  registry: InstanceRegistry;
  driver: ComputeDriver;
  queues: Queues;
  timing: WorkerTiming;
  log: Logger;
  /** The instances' metadata services (IMDS), one loopback port each. */
  metadata: InstanceMetadata;
}
