import { Type } from "@sinclair/typebox";
import { Dimension, StringEnum } from "./common.ts";

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
  },
  { additionalProperties: false },
);

export const MetricAlarm = Type.Object(
  {
    alarmName: Type.String(),
    alarmArn: Type.String(),
    alarmDescription: Type.Optional(Type.String()),
    alarmConfigurationUpdatedTimestamp: Type.String({ format: "date-time" }),
    actionsEnabled: Type.Boolean(),
    okActions: Type.Array(Type.String()),
    alarmActions: Type.Array(Type.String()),
    insufficientDataActions: Type.Array(Type.String()),
    stateValue: StringEnum(["OK", "ALARM", "INSUFFICIENT_DATA"]),
    stateReason: Type.String(),
    stateReasonData: Type.Optional(Type.String()),
    stateUpdatedTimestamp: Type.String({ format: "date-time" }),
    stateTransitionedTimestamp: Type.String({ format: "date-time" }),
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

export const SetAlarmState = Type.Object(
  {
    stateValue: Type.String({ description: "OK, ALARM or INSUFFICIENT_DATA" }),
    stateReason: Type.String(),
    stateReasonData: Type.Optional(Type.String({ description: "JSON" })),
  },
  { additionalProperties: false },
);

export const AlarmHistoryItem = Type.Object({
  alarmName: Type.String(),
  alarmType: Type.String(),
  timestamp: Type.String({ format: "date-time" }),
  historyItemType: Type.String(),
  historySummary: Type.String(),
  historyData: Type.String(),
});

// Number first: with coerceTypes a string branch tried first would turn Unix seconds into a string.
const Timestamp = Type.Union([Type.Number(), Type.String()], { description: "ISO 8601, or Unix seconds" });

export const PutMetricData = Type.Object(
  {
    namespace: Type.String(),
    metricData: Type.Array(
      Type.Object(
        {
          metricName: Type.String(),
          dimensions: Type.Optional(Type.Array(Dimension)),
          timestamp: Type.Optional(Timestamp),
          value: Type.Optional(Type.Number()),
          values: Type.Optional(Type.Array(Type.Number())),
          counts: Type.Optional(Type.Array(Type.Number())),
          statisticValues: Type.Optional(
            Type.Object(
              {
                sampleCount: Type.Number(),
                sum: Type.Number(),
                minimum: Type.Number(),
                maximum: Type.Number(),
              },
              { additionalProperties: false },
            ),
          ),
          unit: Type.Optional(Type.String()),
          storageResolution: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

export const Metric = Type.Object({
  namespace: Type.String(),
  metricName: Type.String(),
  dimensions: Type.Array(Dimension),
});

const DimensionQuery = Type.Optional(
  Type.Union([Type.String(), Type.Array(Type.String())], {
    description: "Name=Value (repeatable); for ListMetrics a bare Name matches any value",
  }),
);

export const ListMetricsQuery = Type.Object(
  {
    namespace: Type.Optional(Type.String()),
    metricName: Type.Optional(Type.String()),
    dimension: DimensionQuery,
    recentlyActive: Type.Optional(Type.String()),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 400 })),
    nextToken: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const StatisticsQuery = Type.Object(
  {
    namespace: Type.String(),
    metricName: Type.String(),
    dimension: DimensionQuery,
    startTime: Type.String({ description: "ISO 8601" }),
    endTime: Type.String({ description: "ISO 8601" }),
    period: Type.Integer({ minimum: 1 }),
    statistics: Type.Union([Type.String(), Type.Array(Type.String())], {
      description: "SampleCount, Average, Sum, Minimum, Maximum (repeatable or comma-separated)",
    }),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const Statistics = Type.Object({
  label: Type.String(),
  datapoints: Type.Array(
    Type.Object({
      timestamp: Type.String({ format: "date-time" }),
      sampleCount: Type.Optional(Type.Number()),
      average: Type.Optional(Type.Number()),
      sum: Type.Optional(Type.Number()),
      minimum: Type.Optional(Type.Number()),
      maximum: Type.Optional(Type.Number()),
      unit: Type.String(),
    }),
  ),
});
