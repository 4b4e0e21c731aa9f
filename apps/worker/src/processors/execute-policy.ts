import { Errors, isAwsError } from "@scaleout/core";
import { type Tx, writeTransaction } from "@scaleout/db";
import type { ExecutePolicyJob } from "@scaleout/queue";
import {
  findAlarm,
  type PolicyOutcome,
  recordActionHistory,
  recordFailedActionHistory,
} from "@scaleout/services";
import { type Job, UnrecoverableError } from "bullmq";
import type { WorkerContext } from "../context.ts";

/*
 * execute-policy: an alarm action that names a scaling policy. The policy's arithmetic, cooldown and
 * warm-up live in the services (applyPolicy); a change of the desired capacity announces the group, which
 * enqueues its reconcile. The alarm's history records the action, as CloudWatch's does.
 */

function describe(outcome: PolicyOutcome): string {
  return outcome.changed
    ? `Changed the desired capacity from ${outcome.from} to ${outcome.to}`
    : `No change to the desired capacity (${outcome.from}): ${outcome.skipped ?? "already there"}`;
}

export function executePolicyProcessor(ctx: WorkerContext) {
  const { services, db, log } = ctx;
  const addToHistory = (alarmName: string, add: (tx: Tx, now: number) => void) => {
    const now = services.ctx.now();
    // Reads, then writes: immediate, or a write committed meanwhile fails it with SQLITE_BUSY at once.
    writeTransaction(db, (tx) => {
      try {
        findAlarm(tx, alarmName);
      } catch {
        return; // deleted meanwhile: no history to add to
      }
      add(tx, now);
    });
  };
  const recordFailure = (alarmName: string, policyArn: string, reason: string) =>
    addToHistory(alarmName, (tx, now) => recordFailedActionHistory(tx, alarmName, now, policyArn, reason));
  return async (
    job: Job<ExecutePolicyJob>,
  ): Promise<PolicyOutcome | { skipped: string } | { failed: string }> => {
    const data = job.data as Partial<ExecutePolicyJob> | undefined;
    if (typeof data?.policyArn !== "string" || data.policyArn.length === 0) {
      throw new UnrecoverableError("execute-policy job without a policyArn");
    }
    const { policyArn } = data;
    // SuspendProcesses AlarmNotification: the group ignores its alarms' actions until it is resumed.
    if (services.scalingProcesses.alarmNotificationSuspended(policyArn)) {
      log.info("policy skipped: AlarmNotification is suspended", {
        policy: policyArn,
        alarm: data.alarmName,
      });
      return { skipped: "AlarmNotification is suspended" };
    }
    let outcome: PolicyOutcome | undefined;
    try {
      outcome = services.policies.runFromAlarm(policyArn, {
        ...(typeof data.alarmName === "string" && { alarmName: data.alarmName }),
        ...(typeof data.alarmState === "string" && { alarmState: data.alarmState }),
        ...(typeof data.metricValue === "number" && { metricValue: data.metricValue }),
        ...(typeof data.breachThreshold === "number" && { breachThreshold: data.breachThreshold }),
      });
    } catch (error) {
      if (error instanceof Errors.AutoScalingGroupNotFound) {
        log.info("policy skipped: its group is gone", { policy: policyArn });
        return { skipped: "the policy's group does not exist" };
      }
      // A request the policy can never accept (say, a step policy without a metric value): retrying
      // cannot help, so it fails now and leaves its trace in the alarm's history and the log.
      if (isAwsError(error)) {
        log.warn("policy execution failed", {
          policy: policyArn,
          alarm: data.alarmName,
          reason: `${error.code}: ${error.message}`,
        });
        if (typeof data.alarmName === "string") recordFailure(data.alarmName, policyArn, error.message);
        return { failed: error.message };
      }
      throw error;
    }
    if (!outcome) {
      // As AWS skips an action that names a policy that no longer exists.
      log.info("policy skipped: unknown policy ARN", { policy: policyArn });
      return { skipped: "unknown policy" };
    }
    // An alarm in ALARM re-invokes its policy every period (every second in fast mode): only an execution
    // that changed the desired capacity is a state change (info); the others are debug.
    log[outcome.changed ? "info" : "debug"](
      outcome.changed ? `policy executed: desired ${outcome.from} → ${outcome.to}` : "policy executed",
      {
        policy: policyArn,
        alarm: data.alarmName,
        from: outcome.from,
        to: outcome.to,
        skipped: outcome.skipped,
      },
    );
    const alarmName = data.alarmName;
    if (typeof alarmName === "string") {
      const result = outcome;
      addToHistory(alarmName, (tx, now) =>
        recordActionHistory(tx, alarmName, now, policyArn, describe(result)),
      );
    }
    return outcome;
  };
}
