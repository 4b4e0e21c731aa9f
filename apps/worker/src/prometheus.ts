import { type MetricSnapshot, publishMetricSnapshots } from "@scaleout/queue";
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Job durations from a second to minutes: reconcile passes wait for instances to start. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The worker's Prometheus figures: its process (prom-client's default metrics) and, per queue, how
 * long jobs ran and how many failed. Counted from BullMQ's own `completed`/`failed` events (the job's
 * processedOn/finishedOn), so no processor changes; the api's GET /metrics merges the snapshot this
 * publishes to Redis.
 */
export class WorkerPrometheus {
  readonly registry = new Registry();
  private readonly durations: Histogram<"queue" | "status">;
  private readonly failures: Counter<"queue">;

  constructor() {
    this.registry.setDefaultLabels({ process: "worker" });
    collectDefaultMetrics({ register: this.registry });
    this.durations = new Histogram({
      name: "scaleout_worker_job_duration_seconds",
      help: "How long worker jobs ran, from start to completion or failure, by queue",
      labelNames: ["queue", "status"],
      buckets: durationBuckets,
      registers: [this.registry],
    });
    this.failures = new Counter({
      name: "scaleout_worker_job_failures_total",
      help: "Worker jobs that failed (each failed attempt), by queue",
      labelNames: ["queue"],
      registers: [this.registry],
    });
  }

  /** Counts a BullMQ worker's jobs under its queue's name (zero-valued from the start, so rates exist). */
  watch(queue: string, worker: Worker): void {
    this.failures.inc({ queue }, 0);
    const observe = (
      job: { processedOn?: number | undefined; finishedOn?: number | undefined } | undefined,
      status: "completed" | "failed",
    ) => {
      if (job?.processedOn === undefined) return;
      const end = job.finishedOn ?? Date.now();
      this.durations.observe({ queue, status }, Math.max(0, end - job.processedOn) / 1000);
    };
    worker.on("completed", (job) => observe(job, "completed"));
    worker.on("failed", (job) => {
      this.failures.inc({ queue });
      observe(job, "failed");
    });
  }

  snapshot(): Promise<MetricSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** Publishes the snapshot to Redis every `intervalMs` for the api's GET /metrics. */
  publish(redis: Redis, prefix: string, intervalMs?: number): { stop(): void } {
    return publishMetricSnapshots({
      redis,
      prefix,
      process: "worker",
      snapshot: () => this.snapshot(),
      ...(intervalMs !== undefined && { intervalMs }),
    });
  }
}
