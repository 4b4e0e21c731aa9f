import {
  type AlarmSettings,
  type AlarmState,
  alarmStates,
  arns,
  check,
  checkLength,
  checkOneOf,
  checkPageSize,
  decodeToken,
  dimensionsKey,
  Errors,
  encodeToken,
  type MetricDimension,
  normalizeAlarm,
  type Page,
  parseScalingPolicyArn,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, sql } from "drizzle-orm";
import { type Announcements, iso, mutate, type ServiceContext } from "./context.ts";
import type { AlarmHistoryItem, MetricAlarm, PutAlarm, SetAlarmState } from "./shapes/alarms.ts";
import { checkNoDuplicateKeys, checkTags, removeTags, writeTags } from "./tags.ts";

const { alarms, alarmHistory } = schema;
type AlarmRow = typeof alarms.$inferSelect;

export function toAlarm(row: AlarmRow): MetricAlarm {
  return {
    alarmName: row.name,
    alarmArn: row.arn,
    ...(row.description !== null && { alarmDescription: row.description }),
    alarmConfigurationUpdatedTimestamp: iso(row.configurationUpdatedAt),
    actionsEnabled: row.actionsEnabled,
    okActions: row.okActions,
    alarmActions: row.alarmActions,
    insufficientDataActions: row.insufficientDataActions,
    stateValue: row.stateValue as AlarmState,
    stateReason: row.stateReason,
    ...(row.stateReasonData !== null && { stateReasonData: row.stateReasonData }),
    stateUpdatedTimestamp: iso(row.stateUpdatedAt),
    stateTransitionedTimestamp: iso(row.stateTransitionedAt),
    metricName: row.metricName,
    namespace: row.namespace,
    statistic: row.statistic,
    dimensions: row.dimensions,
    period: row.period,
    ...(row.unit !== null && { unit: row.unit }),
    evaluationPeriods: row.evaluationPeriods,
    datapointsToAlarm: row.datapointsToAlarm,
    threshold: row.threshold,
    comparisonOperator: row.comparisonOperator,
    treatMissingData: row.treatMissingData,
  };
}

export function findAlarm(db: Db | Tx, name: string): AlarmRow {
  const row = db.select().from(alarms).where(eq(alarms.name, name)).get();
  if (!row) throw new Errors.ResourceNotFound(`Alarm '${name}' does not exist`);
  return row;
}

function addHistory(
  tx: Tx,
  alarmName: string,
  at: number,
  type: string,
  summary: string,
  data: unknown,
): void {
  tx.insert(alarmHistory)
    .values({
      alarmName,
      timestamp: at,
      historyItemType: type,
      historySummary: summary,
      historyData: JSON.stringify(data),
    })
    .run();
}

/** Writes an alarm's configuration (PutMetricAlarm, or a target tracking policy's own alarms). */
export function upsertAlarmRow(
  ctx: ServiceContext,
  tx: Tx,
  settings: AlarmSettings & { ownerPolicyArn?: string },
): { row: AlarmRow; created: boolean } {
  const now = ctx.now();
  const existing = tx.select().from(alarms).where(eq(alarms.name, settings.alarmName)).get();
  const config = {
    description: settings.alarmDescription ?? null,
    actionsEnabled: settings.actionsEnabled,
    okActions: settings.okActions,
    alarmActions: settings.alarmActions,
    insufficientDataActions: settings.insufficientDataActions,
    namespace: settings.namespace,
    metricName: settings.metricName,
    dimensions: settings.dimensions,
    statistic: settings.statistic,
    period: settings.period,
    unit: settings.unit ?? null,
    evaluationPeriods: settings.evaluationPeriods,
    datapointsToAlarm: settings.datapointsToAlarm,
    threshold: settings.threshold,
    comparisonOperator: settings.comparisonOperator,
    treatMissingData: settings.treatMissingData,
    configurationUpdatedAt: now,
    ownerPolicyArn: settings.ownerPolicyArn ?? existing?.ownerPolicyArn ?? null,
  };
  if (existing) {
    // An update keeps the alarm's state: only the configuration is replaced.
    const row: AlarmRow = { ...existing, ...config };
    tx.update(alarms).set(config).where(eq(alarms.name, existing.name)).run();
    addHistory(tx, row.name, now, "ConfigurationUpdate", `Alarm "${row.name}" updated`, {
      version: "1.0",
      type: "Update",
      updatedAlarm: toAlarm(row),
      originalUpdatedFields: toAlarm(existing),
    });
    return { row, created: false };
  }
  const row: AlarmRow = {
    name: settings.alarmName,
    arn: arns.alarm(ctx.partition, settings.alarmName),
    ...config,
    stateValue: "INSUFFICIENT_DATA",
    stateReason: "Unchecked: Initial alarm creation",
    stateReasonData: null,
    stateUpdatedAt: now,
    stateTransitionedAt: now,
    lastActionAt: null,
  };
  tx.insert(alarms).values(row).run();
  addHistory(tx, row.name, now, "ConfigurationUpdate", `Alarm "${row.name}" created`, {
    version: "1.0",
    type: "Create",
    createdAlarm: toAlarm(row),
  });
  return { row, created: true };
}

/**
 * Moves an alarm to a state: records the history item and, when the state changed and actions are
 * enabled, announces the scaling policies its actions for that state name. Answers whether the state
 * changed.
 */
export function transitionAlarm(
  ctx: ServiceContext,
  tx: Tx,
  announce: Announcements,
  alarm: AlarmRow,
  next: { stateValue: AlarmState; stateReason: string; stateReasonData?: string; metricValue?: number },
): boolean {
  const now = ctx.now();
  const changed = alarm.stateValue !== next.stateValue;
  tx.update(alarms)
    .set({
      stateValue: next.stateValue,
      stateReason: next.stateReason,
      stateReasonData: next.stateReasonData ?? null,
      stateUpdatedAt: now,
      ...(changed && { stateTransitionedAt: now, lastActionAt: null }),
    })
    .where(eq(alarms.name, alarm.name))
    .run();
  if (!changed) return false;
  addHistory(
    tx,
    alarm.name,
    now,
    "StateUpdate",
    `Alarm updated from ${alarm.stateValue} to ${next.stateValue}`,
    {
      version: "1.0",
      oldState: { stateValue: alarm.stateValue, stateReason: alarm.stateReason },
      newState: {
        stateValue: next.stateValue,
        stateReason: next.stateReason,
        ...(next.stateReasonData !== undefined && {
          stateReasonData: JSON.parse(next.stateReasonData) as unknown,
        }),
      },
    },
  );
  if (alarm.actionsEnabled)
    invokeActions(ctx, tx, announce, { ...alarm, stateValue: next.stateValue }, next.metricValue);
  return true;
}

/** Announces the scaling policies an alarm's actions for its current state name. Other ARNs (SNS) are recorded and skipped. */
export function invokeActions(
  ctx: ServiceContext,
  tx: Tx,
  announce: Announcements,
  alarm: AlarmRow,
  metricValue?: number,
): void {
  const now = ctx.now();
  const actions =
    alarm.stateValue === "ALARM"
      ? alarm.alarmActions
      : alarm.stateValue === "OK"
        ? alarm.okActions
        : alarm.insufficientDataActions;
  for (const arn of actions) {
    if (parseScalingPolicyArn(arn)) {
      announce.invocations.push({
        policyArn: arn,
        alarmName: alarm.name,
        alarmState: alarm.stateValue,
        triggeredAt: iso(now),
        ...(metricValue !== undefined && { metricValue, breachThreshold: alarm.threshold }),
      });
    } else {
      addHistory(tx, alarm.name, now, "Action", `Failed to execute action ${arn}`, {
        actionState: "Failed",
        notificationResource: arn,
        error: "scaleout runs Auto Scaling actions only",
      });
    }
  }
  tx.update(alarms).set({ lastActionAt: now }).where(eq(alarms.name, alarm.name)).run();
}

export function recordActionHistory(
  tx: Tx,
  alarmName: string,
  at: number,
  policyArn: string,
  outcome: string,
): void {
  addHistory(tx, alarmName, at, "Action", `Successfully executed action ${policyArn}`, {
    actionState: "Succeeded",
    stateUpdateTimestamp: at,
    notificationResource: policyArn,
    publishedMessage: outcome,
  });
}

/**
 * A scaling action that could not run (say, a step policy invoked by SetAlarmState, which carries no
 * metric value): CloudWatch records it as a failed Action item, "Failed to execute AutoScaling action: ...".
 */
export function recordFailedActionHistory(
  tx: Tx,
  alarmName: string,
  at: number,
  policyArn: string,
  reason: string,
): void {
  addHistory(tx, alarmName, at, "Action", `Failed to execute AutoScaling action: ${reason}`, {
    actionState: "Failed",
    stateUpdateTimestamp: at,
    notificationResource: policyArn,
    error: reason,
  });
}

export function alarmService(ctx: ServiceContext) {
  return {
    /**
     * PutMetricAlarm: an upsert. New alarms start in INSUFFICIENT_DATA; an update keeps the state. Tags
     * given are written with the alarm (AWS ignores them on an update; scaleout adds them, as before).
     */
    put(name: string, input: PutAlarm): { alarm: MetricAlarm; created: boolean } {
      const { tags: given, ...alarm } = input;
      const settings = normalizeAlarm({ ...alarm, alarmName: name }, ctx.limits);
      const tags = checkTags(given);
      checkNoDuplicateKeys(tags);
      return mutate(ctx, (tx) => {
        const { row, created } = upsertAlarmRow(ctx, tx, settings);
        writeTags(tx, row.arn, tags);
        return { alarm: toAlarm(row), created };
      });
    },

    get(name: string): MetricAlarm {
      return toAlarm(findAlarm(ctx.db, name));
    },

    list(
      options: {
        alarmNames?: string[];
        alarmNamePrefix?: string;
        stateValue?: string;
        actionPrefix?: string;
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<MetricAlarm> {
      const pageSize = checkPageSize(options.pageSize);
      check(
        !(options.alarmNames?.length && options.alarmNamePrefix),
        "AlarmNames and AlarmNamePrefix cannot be used together",
      );
      if (options.stateValue !== undefined) checkOneOf("StateValue", options.stateValue, alarmStates);
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(alarms)
        .where(
          and(
            options.alarmNames?.length ? inArray(alarms.name, options.alarmNames) : undefined,
            options.alarmNamePrefix
              ? sql`substr(${alarms.name}, 1, ${options.alarmNamePrefix.length}) = ${options.alarmNamePrefix}`
              : undefined,
            options.stateValue ? eq(alarms.stateValue, options.stateValue) : undefined,
            options.actionPrefix
              ? sql`exists (select 1 from json_each(${alarms.alarmActions}) where substr(value, 1, ${options.actionPrefix.length}) = ${options.actionPrefix})`
              : undefined,
            after === undefined ? undefined : gt(alarms.name, after),
          ),
        )
        .orderBy(asc(alarms.name))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map(toAlarm),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(last.name) }),
      };
    },

    /** DescribeAlarmsForMetric. */
    forMetric(query: {
      namespace?: string;
      metricName?: string;
      dimensions?: MetricDimension[];
      statistic?: string;
      period?: number;
      unit?: string;
    }): MetricAlarm[] {
      if (query.namespace === undefined)
        throw new Errors.MissingParameter("The parameter Namespace is required.");
      if (query.metricName === undefined)
        throw new Errors.MissingParameter("The parameter MetricName is required.");
      const rows = ctx.db
        .select()
        .from(alarms)
        .where(and(eq(alarms.namespace, query.namespace), eq(alarms.metricName, query.metricName)))
        .orderBy(asc(alarms.name))
        .all();
      const key = query.dimensions ? dimensionsKey(query.dimensions) : undefined;
      return rows
        .filter(
          (r) =>
            (key === undefined || dimensionsKey(r.dimensions) === key) &&
            (query.statistic === undefined || r.statistic === query.statistic) &&
            (query.period === undefined || r.period === query.period) &&
            (query.unit === undefined || r.unit === query.unit),
        )
        .map(toAlarm);
    },

    /** DeleteAlarms: all named alarms must exist, or none is deleted; their tags go with them. */
    delete(names: string[]): void {
      check(names.length > 0 && names.length <= 100, "Between 1 and 100 alarm names must be given");
      mutate(ctx, (tx) => {
        const found = tx
          .select({ name: alarms.name, arn: alarms.arn })
          .from(alarms)
          .where(inArray(alarms.name, names))
          .all();
        const missing = names.filter((n) => !found.some((f) => f.name === n));
        if (missing.length)
          throw new Errors.ResourceNotFound(`Alarm(s) '${missing.join("', '")}' do not exist`);
        tx.delete(alarms).where(inArray(alarms.name, names)).run();
        tx.delete(alarmHistory).where(inArray(alarmHistory.alarmName, names)).run();
        for (const { arn } of found) removeTags(tx, arn);
      });
    },

    history(
      name: string | undefined,
      options: {
        historyItemType?: string;
        startDate?: string;
        endDate?: string;
        scanBy?: string;
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<AlarmHistoryItem> {
      const pageSize = checkPageSize(options.pageSize);
      if (name !== undefined) findAlarm(ctx.db, name);
      if (options.historyItemType !== undefined) {
        checkOneOf("HistoryItemType", options.historyItemType, [
          "ConfigurationUpdate",
          "StateUpdate",
          "Action",
        ] as const);
      }
      const scanBy = checkOneOf("ScanBy", options.scanBy ?? "TimestampDescending", [
        "TimestampDescending",
        "TimestampAscending",
      ] as const);
      const start = options.startDate ? Date.parse(options.startDate) : undefined;
      const end = options.endDate ? Date.parse(options.endDate) : undefined;
      check(start === undefined || Number.isFinite(start), "StartDate must be an ISO 8601 timestamp");
      check(end === undefined || Number.isFinite(end), "EndDate must be an ISO 8601 timestamp");
      const after = decodeToken(options.nextToken);
      const cursor = after === undefined ? undefined : Number(after);
      const ascending = scanBy === "TimestampAscending";
      const rows = ctx.db
        .select()
        .from(alarmHistory)
        .where(
          and(
            name === undefined ? undefined : eq(alarmHistory.alarmName, name),
            options.historyItemType ? eq(alarmHistory.historyItemType, options.historyItemType) : undefined,
            start === undefined ? undefined : gte(alarmHistory.timestamp, start),
            end === undefined ? undefined : lte(alarmHistory.timestamp, end),
            cursor === undefined
              ? undefined
              : ascending
                ? gt(alarmHistory.id, cursor)
                : lt(alarmHistory.id, cursor),
          ),
        )
        .orderBy(ascending ? asc(alarmHistory.id) : desc(alarmHistory.id))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map((r) => ({
          alarmName: r.alarmName,
          alarmType: "MetricAlarm",
          timestamp: iso(r.timestamp),
          historyItemType: r.historyItemType,
          historySummary: r.historySummary,
          historyData: r.historyData,
        })),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(String(last.id)) }),
      };
    },

    /** SetAlarmState: a temporary state, as in AWS; actions for the new state run when it differs. */
    setState(name: string, input: Partial<SetAlarmState>): MetricAlarm {
      if (input.stateValue === undefined)
        throw new Errors.MissingParameter("The parameter StateValue is required.");
      if (input.stateReason === undefined)
        throw new Errors.MissingParameter("The parameter StateReason is required.");
      const stateValue = checkOneOf("StateValue", input.stateValue, alarmStates);
      checkLength("StateReason", input.stateReason, 0, 1023);
      if (input.stateReasonData !== undefined) {
        checkLength("StateReasonData", input.stateReasonData, 0, 4000);
        try {
          JSON.parse(input.stateReasonData);
        } catch {
          throw new Errors.InvalidParameterValue("StateReasonData must be valid JSON");
        }
      }
      return mutate(ctx, (tx, announce) => {
        const alarm = findAlarm(tx, name);
        transitionAlarm(ctx, tx, announce, alarm, {
          stateValue,
          stateReason: input.stateReason ?? "",
          stateReasonData: input.stateReasonData,
        });
        return toAlarm(findAlarm(tx, name));
      });
    },

    setActionsEnabled(names: string[], enabled: boolean): void {
      check(names.length > 0 && names.length <= 100, "Between 1 and 100 alarm names must be given");
      mutate(ctx, (tx) => {
        tx.update(alarms).set({ actionsEnabled: enabled }).where(inArray(alarms.name, names)).run();
      });
    },
  };
}

export type AlarmService = ReturnType<typeof alarmService>;
