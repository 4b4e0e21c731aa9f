import type { WorkerContext } from "../context.ts";

/*
 * run-scheduled-actions: once a second, every scheduled action whose time has come changes its group's
 * minimum, maximum and desired capacity (services' scheduledActions.fire, the same change as
 * UpdateAutoScalingGroup with AWS's "a scheduled action" cause). A change of the desired capacity
 * announces the group, which enqueues its reconcile. A separate queue from collect-metrics and
 * evaluate-alarms: a slow or failing firing never delays a metric second, and each job stays one concern.
 * Several workers may run this job at once: `fire` claims each occurrence with a conditional update, so
 * only one of them applies it.
 */

export function runScheduledActionsProcessor(ctx: WorkerContext) {
  const { services, log } = ctx;
  return async (): Promise<{ fired: number }> => {
    let fired = 0;
    for (const action of services.scheduledActions.due()) {
      const run = services.scheduledActions.fire(action);
      if (run.outcome === "taken") continue;
      fired += 1;
      const fields = {
        group: run.groupName,
        action: run.scheduledActionName,
        from: run.from,
        to: run.to,
        next: run.nextRunAt === undefined ? undefined : new Date(run.nextRunAt).toISOString(),
        reason: run.reason,
      };
      if (run.outcome === "failed") log.warn("scheduled action failed", fields);
      else if (run.outcome === "suspended")
        log.info("scheduled action skipped: ScheduledActions is suspended", fields);
      else log.info("scheduled action applied", fields);
    }
    return { fired };
  };
}
