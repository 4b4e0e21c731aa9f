import { type CfnStackJob, QueueName, type Queues } from "@scaleout/queue";
import { runStackOperation, stacksInProgress } from "@scaleout/services";
import type { Job } from "bullmq";
import type { WorkerContext } from "../context.ts";

/*
 * cfn-stacks: carries out CloudFormation stack operations. The api only writes a stack's request
 * (status *_IN_PROGRESS) and answers; a scheduled "find" job looks for stacks in progress four times a
 * second and adds one "run" job per stack, its job id the stack's, so at most one worker runs a stack
 * at a time (BullMQ adds nothing while a job of that id waits or runs). A worker that dies mid-operation
 * loses its job lock: BullMQ hands the stalled job to another worker (or to this one restarted), and
 * the executor resumes from the store, failing the resource that was under way and rolling back.
 */

export const findStacksJob = "find-stacks";
export const runStackJob = "run-stack";
const schedulerId = "cfn-find-stacks";

/** The run job's id: the stack id's unique part (BullMQ job ids may not hold ':'). */
export const runJobId = (stackId: string): string => `stack-${stackId.slice(stackId.lastIndexOf("/") + 1)}`;

export async function armCfnSchedule(queues: Queues, everyMs: number): Promise<void> {
  await queues[QueueName.cfnStacks].upsertJobScheduler(
    schedulerId,
    { every: everyMs },
    { name: findStacksJob, data: { stackId: "" }, opts: { removeOnComplete: true, removeOnFail: 50 } },
  );
}

export function cfnStacksProcessor(ctx: WorkerContext) {
  const { services, queues, log } = ctx;
  return async (job: Job<CfnStackJob>): Promise<{ status?: string; found?: number }> => {
    if (job.data.stackId === "") {
      const stacks = stacksInProgress(services.ctx.db);
      for (const stack of stacks) {
        await queues[QueueName.cfnStacks].add(
          runStackJob,
          { stackId: stack.stackId },
          { jobId: runJobId(stack.stackId), removeOnComplete: true, removeOnFail: true },
        );
      }
      return { found: stacks.length };
    }
    const started = Date.now();
    const status = await runStackOperation(services, job.data.stackId);
    log.info("stack operation ended", { stack: job.data.stackId, status, ms: Date.now() - started });
    return { status };
  };
}
