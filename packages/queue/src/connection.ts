import { Queue, type QueueOptions } from "bullmq";
import type { Redis } from "ioredis";
import {
  configChannel,
  type ExecutePolicyJob,
  type JobPayloads,
  QueueName,
  type ReconcileGroupJob,
} from "./names.ts";

export type Queues = { [K in QueueName]: Queue<JobPayloads[K]> };

/** One Queue per job kind on a shared producer connection. `prefix` keeps tests apart. */
export function createQueues(
  connection: Redis,
  options: { prefix?: string; onError?: (error: Error) => void } = {},
): Queues {
  const queueOptions: QueueOptions = { connection, ...(options.prefix && { prefix: options.prefix }) };
  const make = <K extends QueueName>(name: K) => {
    const queue = new Queue<JobPayloads[K]>(name, queueOptions);
    queue.on("error", options.onError ?? (() => {}));
    return queue;
  };
  return {
    [QueueName.collectMetrics]: make(QueueName.collectMetrics),
    [QueueName.evaluateAlarms]: make(QueueName.evaluateAlarms),
    [QueueName.executePolicy]: make(QueueName.executePolicy),
    [QueueName.reconcileGroup]: make(QueueName.reconcileGroup),
    [QueueName.runScheduledActions]: make(QueueName.runScheduledActions),
    [QueueName.cfnStacks]: make(QueueName.cfnStacks),
  } as Queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}

/**
 * Asks for a reconcile of one group. The deduplication id is the group name, so at most one job per
 * group waits or runs; the reconciler is level-triggered and re-reads the desired capacity when it runs.
 * `keepLastIfActive`: a request made while the group's job runs is not dropped but kept, and becomes a
 * new job when the running one finishes, so a change made during a pass is always seen by a later pass.
 */
export function enqueueReconcile(queues: Queues, job: ReconcileGroupJob): Promise<unknown> {
  return queues[QueueName.reconcileGroup].add(QueueName.reconcileGroup, job, {
    deduplication: { id: `group:${job.groupName}`, keepLastIfActive: true },
    removeOnComplete: 100,
    removeOnFail: 500,
  });
}

export function enqueueExecutePolicy(queues: Queues, job: ExecutePolicyJob): Promise<unknown> {
  return queues[QueueName.executePolicy].add(QueueName.executePolicy, job, {
    attempts: 3,
    backoff: { type: "exponential", delay: 200 },
    removeOnComplete: 100,
    removeOnFail: 500,
  });
}

export function publishConfigVersion(connection: Redis, version: number, prefix = ""): Promise<number> {
  return connection.publish(`${prefix}${configChannel}`, String(version));
}
