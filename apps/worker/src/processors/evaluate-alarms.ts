import {
  type AlarmState,
  type ComparisonOperator,
  evaluateAlarm,
  evaluationWindow,
  formatStateReasonData,
  type Statistic,
  statisticOf,
  type TreatMissingData,
} from "@scaleout/core";
import { aggregatePeriods, schema } from "@scaleout/db";
import { findAlarm, invokeActions, mutate, transitionAlarm } from "@scaleout/services";
import type { WorkerContext } from "../context.ts";

/*
 * evaluate-alarms: each alarm is evaluated once per period, when its newest period has completed.
 *
 * Timing. A period [t, t + period) counts as complete `alarmSettleMs` after it ends: the metric store is
 * written per second (the proxy's request metrics up to a second after each second closes), and the
 * samples of a period's last second must have landed. AWS/EC2 metrics come from collect-metrics alone,
 * which runs just after each second ends; they count as complete `ec2SettleMs` after the period. The job
 * runs every `evaluateAlarmsMs`, `evaluateOffsetMs` into each run's slot, so with 1 s periods a CPU
 * alarm sees the second that just ended `evaluateOffsetMs` after its end, and a request-count alarm
 * the second before it. Which period is newest follows CloudWatch (evaluationWindow: aligned to the
 * period, or to the minute for periods of a minute or more).
 *
 * The last evaluated period of each alarm is kept in memory: a restarted worker evaluates each alarm's
 * newest period once more, which changes nothing (a transition only happens when the state differs).
 */

const { alarms } = schema;
type AlarmRow = typeof alarms.$inferSelect;

function alarmIfAny(db: Parameters<typeof findAlarm>[0], name: string): AlarmRow | undefined {
  try {
    return findAlarm(db, name);
  } catch {
    return undefined;
  }
}

export function createAlarmEvaluator(ctx: WorkerContext) {
  const { db, services, timing, log } = ctx;
  const serviceContext = services.ctx;
  const evaluated = new Map<string, { end: number; configuredAt: number }>();

  function repeatDue(alarm: AlarmRow, now: number): boolean {
    if (alarm.stateValue !== "ALARM" || !alarm.actionsEnabled || alarm.alarmActions.length === 0)
      return false;
    // As in AWS, an alarm that stays in ALARM invokes its Auto Scaling actions again: every minute, or
    // every period in fast mode.
    const every = timing.alarmRepeatMs > 0 ? timing.alarmRepeatMs : alarm.period * 1000;
    return alarm.lastActionAt === null || now - alarm.lastActionAt >= every;
  }

  /** What one evaluation did; a transition carries both states for its one log line. */
  type Outcome = "repeated" | "unchanged" | { from: string; to: string };

  function evaluateOne(alarm: AlarmRow, now: number): Outcome {
    // AWS/EC2 is reserved to collect-metrics (PutMetricData refuses AWS/ namespaces), whose seconds land
    // sooner than the proxy's.
    const settleMs = alarm.namespace === "AWS/EC2" ? timing.ec2SettleMs : timing.alarmSettleMs;
    const window = evaluationWindow((now - settleMs) / 1000, alarm.period, alarm.evaluationPeriods);
    const seen = evaluated.get(alarm.name);
    if (seen && seen.end >= window.end && seen.configuredAt === alarm.configurationUpdatedAt)
      return "unchanged";
    evaluated.set(alarm.name, { end: window.end, configuredAt: alarm.configurationUpdatedAt });

    const statistic = alarm.statistic as Statistic;
    const periods = aggregatePeriods(
      db,
      { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions },
      window.start,
      window.end,
      alarm.period,
    );
    const result = evaluateAlarm({
      now: now / 1000,
      rangeStarts: window.rangeStarts,
      datapoints: periods.map((set) => ({
        timestamp: set.timestamp,
        value: statisticOf(set, statistic),
        sampleCount: set.sampleCount,
      })),
      period: alarm.period,
      statistic,
      ...(alarm.unit !== null && { unit: alarm.unit }),
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm,
      threshold: alarm.threshold,
      comparisonOperator: alarm.comparisonOperator as ComparisonOperator,
      treatMissingData: alarm.treatMissingData as TreatMissingData,
      currentState: alarm.stateValue as AlarmState,
    });
    const newest = [...result.evaluated].reverse().find((point) => point.real)?.value;
    if (result.retained) return "unchanged";
    const transition = alarm.stateValue !== result.state;
    // Every mutate moves the configuration version (and the proxy reloads): only write when something
    // happens.
    if (!transition && !repeatDue(alarm, now)) return "unchanged";

    return mutate(serviceContext, (tx, announce) => {
      // Re-read inside the transaction: SetAlarmState or PutMetricAlarm may have moved it meanwhile.
      const current = alarmIfAny(tx, alarm.name);
      if (!current || current.configurationUpdatedAt !== alarm.configurationUpdatedAt) return "unchanged";
      if (current.stateValue !== result.state) {
        transitionAlarm(serviceContext, tx, announce, current, {
          stateValue: result.state,
          stateReason: result.reason,
          stateReasonData: formatStateReasonData(result.reasonData),
          ...(newest !== undefined && { metricValue: newest }),
        });
        return { from: current.stateValue, to: result.state };
      }
      if (repeatDue(current, now)) {
        invokeActions(serviceContext, tx, announce, current, newest);
        return "repeated";
      }
      return "unchanged";
    });
  }

  return async function evaluate(): Promise<{ alarms: number; transitions: number }> {
    const rows = db.select().from(alarms).all();
    const now = serviceContext.now();
    let transitions = 0;
    for (const alarm of rows) {
      try {
        const outcome = evaluateOne(alarm, now);
        if (typeof outcome === "object") {
          transitions++;
          // A state change: info, once. The repeats of an alarm that stays in ALARM come every period
          // (every second in fast mode): debug.
          log.info(`alarm ${alarm.name}: ${outcome.from} → ${outcome.to}`, {
            alarm: alarm.name,
            from: outcome.from,
            to: outcome.to,
          });
        } else if (outcome === "repeated") {
          log.debug("alarm actions invoked again", { alarm: alarm.name });
        }
      } catch (error) {
        // One broken alarm must not stop the others.
        log.error("alarm evaluation failed", { alarm: alarm.name, error });
      }
    }
    const names = new Set(rows.map((row) => row.name));
    for (const name of evaluated.keys()) if (!names.has(name)) evaluated.delete(name);
    return { alarms: rows.length, transitions };
  };
}
