import { type Static, Type } from "@sinclair/typebox";
import { Dimension, StringEnum, Tags, Timestamp } from "./common.ts";

/*
 * A CloudWatch metric alarm's shapes, declared once: the REST routes use these schemas as they are, the
 * AWS door derives its wire shapes from them (apps/api/src/aws/derive-shape.ts), and the alarm service is
 * typed by their Static types.
 */

/** PutMetricAlarm's settings (the name is the path segment in REST, a member over the AWS door). */
export const PutAlarm = Type.Object(
  {
    alarmDescription: Type.Optional(Type.String()),
    actionsEnabled: Type.Optional(Type.Boolean()),
    okActions: Type.Optional(Type.Array(Type.String())),
    alarmActions: Type.Optional(Type.Array(Type.String())),
    insufficientDataActions: Type.Optional(Type.Array(Type.String())),
    metricName: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    statistic: Type.Optional(Type.String()),
    extendedStatistic: Type.Optional(Type.String()),
    dimensions: Type.Optional(Type.Array(Dimension)),
    period: Type.Optional(Type.Integer()),
    unit: Type.Optional(Type.String()),
    evaluationPeriods: Type.Optional(Type.Integer()),
    datapointsToAlarm: Type.Optional(Type.Integer()),
    threshold: Type.Optional(Type.Number()),
    comparisonOperator: Type.Optional(Type.String()),
    treatMissingData: Type.Optional(Type.String()),
    tags: Tags,
  },
  { additionalProperties: false },
);
export type PutAlarm = Static<typeof PutAlarm>;

export const AlarmStateValue = StringEnum(["OK", "ALARM", "INSUFFICIENT_DATA"]);

export const MetricAlarm = Type.Object(
  {
    alarmName: Type.String(),
    alarmArn: Type.String(),
    alarmDescription: Type.Optional(Type.String()),
    alarmConfigurationUpdatedTimestamp: Timestamp(),
    actionsEnabled: Type.Boolean(),
    okActions: Type.Array(Type.String()),
    alarmActions: Type.Array(Type.String()),
    insufficientDataActions: Type.Array(Type.String()),
    stateValue: AlarmStateValue,
    stateReason: Type.String(),
    stateReasonData: Type.Optional(Type.String()),
    stateUpdatedTimestamp: Timestamp(),
    stateTransitionedTimestamp: Timestamp(),
    metricName: Type.String(),
    namespace: Type.String(),
    statistic: Type.String(),
    dimensions: Type.Array(Dimension),
    period: Type.Integer(),
    unit: Type.Optional(Type.String()),
    evaluationPeriods: Type.Integer(),
    datapointsToAlarm: Type.Integer(),
    threshold: Type.Number(),
    comparisonOperator: Type.String(),
    treatMissingData: Type.String(),
  },
  { $id: "MetricAlarm" },
);
export type MetricAlarm = Static<typeof MetricAlarm>;

/** SetAlarmState: validated by the service (AWS's codes), so the values are plain strings here. */
export const SetAlarmState = Type.Object(
  {
    stateValue: Type.String({ description: "OK, ALARM or INSUFFICIENT_DATA" }),
    stateReason: Type.String(),
    stateReasonData: Type.Optional(Type.String({ description: "JSON" })),
  },
  { additionalProperties: false },
);
export type SetAlarmState = Static<typeof SetAlarmState>;

export const AlarmHistoryItem = Type.Object({
  alarmName: Type.String(),
  alarmType: Type.String(),
  timestamp: Timestamp(),
  historyItemType: Type.String(),
  historySummary: Type.String(),
  historyData: Type.String(),
});
export type AlarmHistoryItem = Static<typeof AlarmHistoryItem>;
