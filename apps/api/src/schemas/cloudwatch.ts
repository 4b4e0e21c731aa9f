import { Type } from "@sinclair/typebox";
import { Dimension } from "./common.ts";

// An alarm's shapes are the alarm service's own declarations.
export { AlarmHistoryItem, MetricAlarm, PutAlarm, SetAlarmState } from "@scaleout/services";

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
