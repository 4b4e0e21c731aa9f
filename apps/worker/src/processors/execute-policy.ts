import { Errors, isAwsError } from "@scaleout/core";
import type { ExecutePolicyJob } from "@scaleout/queue";
import { findAlarm, type PolicyOutcome, recordActionHistory } from "@scaleout/services";
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
  return async (job: Job<ExecutePolicyJob>): Promise<PolicyOutcome | { skipped: string }> => {
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
      // A request the policy can never accept (say, a step policy without a metric value).
      if (isAwsError(error)) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
    if (!outcome) {
      // As AWS skips an action that names a policy that no longer exists.
      log.info("policy skipped: unknown policy ARN", { policy: policyArn });
      return { skipped: "unknown policy" };
    }
    log.info("policy executed", {
      policy: policyArn,
      alarm: data.alarmName,
      from: outcome.from,
      to: outcome.to,
      skipped: outcome.skipped,
    });
    const alarmName = data.alarmName;
    if (typeof alarmName === "string") {
      const now = services.ctx.now();
      db.transaction((tx) => {
        try {
          findAlarm(tx, alarmName);
        } catch {
          return; // deleted meanwhile: no history to add to
        }
        recordActionHistory(tx, alarmName, now, policyArn, describe(outcome));
      });
    }
    return outcome;
  };
}
