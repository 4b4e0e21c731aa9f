import type { MetricDimension } from "@scaleout/core";
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/* CloudWatch: alarms, their history, and the metric store. */

export const alarms = sqliteTable("alarms", {
  name: text("name").primaryKey(),
  arn: text("arn").notNull(),
  description: text("description"),
  actionsEnabled: integer("actions_enabled", { mode: "boolean" }).notNull(),
  okActions: text("ok_actions", { mode: "json" }).$type<string[]>().notNull(),
  alarmActions: text("alarm_actions", { mode: "json" }).$type<string[]>().notNull(),
  insufficientDataActions: text("insufficient_data_actions", { mode: "json" }).$type<string[]>().notNull(),
  namespace: text("namespace").notNull(),
  metricName: text("metric_name").notNull(),
  dimensions: text("dimensions", { mode: "json" }).$type<MetricDimension[]>().notNull(),
  statistic: text("statistic").notNull(),
  period: integer("period").notNull(),
  unit: text("unit"),
  evaluationPeriods: integer("evaluation_periods").notNull(),
  datapointsToAlarm: integer("datapoints_to_alarm").notNull(),
  threshold: real("threshold").notNull(),
  comparisonOperator: text("comparison_operator").notNull(),
  treatMissingData: text("treat_missing_data").notNull(),
  stateValue: text("state_value").notNull(),
  stateReason: text("state_reason").notNull(),
  stateReasonData: text("state_reason_data"),
  stateUpdatedAt: integer("state_updated_at").notNull(),
  stateTransitionedAt: integer("state_transitioned_at").notNull(),
  configurationUpdatedAt: integer("configuration_updated_at").notNull(),
  /** The target tracking policy that owns this alarm; such alarms are created and deleted with it. */
  ownerPolicyArn: text("owner_policy_arn"),
  /** When the alarm's actions last ran: an alarm that stays in ALARM re-invokes Auto Scaling actions. */
  lastActionAt: integer("last_action_at"),
});

export const alarmHistory = sqliteTable(
  "alarm_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    alarmName: text("alarm_name").notNull(),
    timestamp: integer("timestamp").notNull(),
    historyItemType: text("history_item_type").notNull(),
    historySummary: text("history_summary").notNull(),
    historyData: text("history_data").notNull(),
  },
  (t) => [index("alarm_history_alarm_time").on(t.alarmName, t.timestamp)],
);

export const metrics = sqliteTable(
  "metrics",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespace: text("namespace").notNull(),
    metricName: text("metric_name").notNull(),
    dimensionsKey: text("dimensions_key").notNull(),
    dimensions: text("dimensions", { mode: "json" }).$type<MetricDimension[]>().notNull(),
    unit: text("unit"),
    lastTimestamp: integer("last_timestamp").notNull().default(sql`0`),
  },
  (t) => [uniqueIndex("metrics_identity").on(t.namespace, t.metricName, t.dimensionsKey)],
);

/** Per-second statistic sets; writes to the same second merge. `timestamp` is Unix seconds. */
export const datapoints = sqliteTable(
  "datapoints",
  {
    metricId: integer("metric_id")
      .notNull()
      .references(() => metrics.id, { onDelete: "cascade" }),
    timestamp: integer("timestamp").notNull(),
    sampleCount: real("sample_count").notNull(),
    sum: real("sum").notNull(),
    minimum: real("minimum").notNull(),
    maximum: real("maximum").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricId, t.timestamp] })],
);
