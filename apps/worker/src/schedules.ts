import { QueueName, type Queues } from "@scaleout/queue";
import type { WorkerTiming } from "./context.ts";
import { armCfnSchedule } from "./processors/cfn-stacks.ts";
import { resyncJobName } from "./processors/reconcile-group.ts";

/** Scheduler ids: one per periodic job, so a restarted worker updates its schedules instead of adding more. */
const schedulers = {
  collectMetrics: "collect-metrics-every-second",
  evaluateAlarms: "evaluate-alarms-every-second",
  resync: "reconcile-all-groups",
  scheduledActions: "run-scheduled-actions-every-second",
} as const;

/**
 * Puts the periodic jobs (metric collection, alarm evaluation, the full resync) in Redis and asks for a
 * resync now. Idempotent, so it runs at start and again each time Redis comes back: the schedulers live in
 * Redis, and a Redis that restarts empty (npm start's keeps no data) would otherwise never run them again,
 * so a change committed while it was down (its reconcile job could not be enqueued) would never be acted on.
 */
export async function armSchedules(queues: Queues, timing: WorkerTiming, reason: string): Promise<void> {
  const periodic = { removeOnComplete: true, removeOnFail: 50 };
  // Metrics are collected just after each second ends and alarms evaluated once that second is
  // written. A scheduler that exists keeps its phase (BullMQ adds `every` to its last run), so it is
  // created afresh to take the offset; BullMQ treats an offset of 0 as none.
  await queues[QueueName.collectMetrics].removeJobScheduler(schedulers.collectMetrics);
  await queues[QueueName.collectMetrics].upsertJobScheduler(
    schedulers.collectMetrics,
    { every: timing.collectMetricsMs, offset: Math.max(1, timing.collectOffsetMs) },
    { name: QueueName.collectMetrics, data: {}, opts: periodic },
  );
  await queues[QueueName.evaluateAlarms].removeJobScheduler(schedulers.evaluateAlarms);
  await queues[QueueName.evaluateAlarms].upsertJobScheduler(
    schedulers.evaluateAlarms,
    { every: timing.evaluateAlarmsMs, offset: Math.max(1, timing.evaluateOffsetMs) },
    { name: QueueName.evaluateAlarms, data: {}, opts: periodic },
  );
  await queues[QueueName.runScheduledActions].upsertJobScheduler(
    schedulers.scheduledActions,
    { every: timing.scheduledActionsMs },
    { name: QueueName.runScheduledActions, data: {}, opts: periodic },
  );
  await queues[QueueName.reconcileGroup].upsertJobScheduler(
    schedulers.resync,
    { every: timing.resyncMs },
    { name: resyncJobName, data: { groupName: "", reason: "periodic resync" }, opts: periodic },
  );
  await armCfnSchedule(queues, 250);
  // Adopt what an earlier worker left, or act on what changed during an outage, at once, not at the first tick.
  await queues[QueueName.reconcileGroup].add(
    resyncJobName,
    { groupName: "", reason },
    { removeOnComplete: true, removeOnFail: 50 },
  );
}
