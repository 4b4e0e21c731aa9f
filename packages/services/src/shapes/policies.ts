import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "./common.ts";

/* A scaling policy's shapes, declared once for both doors and the policy service. */

export const StepAdjustment = Type.Object(
  {
    metricIntervalLowerBound: Type.Optional(Type.Number()),
    metricIntervalUpperBound: Type.Optional(Type.Number()),
    scalingAdjustment: Type.Integer(),
  },
  { additionalProperties: false },
);

export const PredefinedMetricSpecification = Type.Object(
  {
    predefinedMetricType: StringEnum([
      "ASGAverageCPUUtilization",
      "ASGAverageNetworkIn",
      "ASGAverageNetworkOut",
      "ALBRequestCountPerTarget",
    ]),
    resourceLabel: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const CustomizedMetricSpecification = Type.Object(
  {
    metricName: Type.String(),
    namespace: Type.String(),
    dimensions: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), value: Type.String() }, { additionalProperties: false })),
    ),
    statistic: StringEnum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"]),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const TargetTrackingConfiguration = Type.Object(
  {
    predefinedMetricSpecification: Type.Optional(PredefinedMetricSpecification),
    customizedMetricSpecification: Type.Optional(CustomizedMetricSpecification),
    targetValue: Type.Number(),
    disableScaleIn: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PutPolicy = Type.Object(
  {
    policyName: Type.String(),
    policyType: Type.Optional(
      Type.String({ description: "SimpleScaling (default), StepScaling or TargetTrackingScaling" }),
    ),
    adjustmentType: Type.Optional(Type.String()),
    scalingAdjustment: Type.Optional(Type.Integer()),
    minAdjustmentMagnitude: Type.Optional(Type.Integer()),
    cooldown: Type.Optional(Type.Integer()),
    metricAggregationType: Type.Optional(Type.String()),
    stepAdjustments: Type.Optional(Type.Array(StepAdjustment)),
    estimatedInstanceWarmup: Type.Optional(Type.Integer()),
    targetTrackingConfiguration: Type.Optional(TargetTrackingConfiguration),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PutPolicy = Static<typeof PutPolicy>;

export const ScalingPolicy = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    policyName: Type.String(),
    policyARN: Type.String(),
    policyType: Type.String(),
    adjustmentType: Type.Optional(Type.String()),
    minAdjustmentMagnitude: Type.Optional(Type.Integer()),
    scalingAdjustment: Type.Optional(Type.Integer()),
    cooldown: Type.Optional(Type.Integer()),
    stepAdjustments: Type.Optional(Type.Array(StepAdjustment)),
    metricAggregationType: Type.Optional(Type.String()),
    estimatedInstanceWarmup: Type.Optional(Type.Integer()),
    alarms: Type.Array(Type.Object({ alarmName: Type.String(), alarmARN: Type.String() })),
    targetTrackingConfiguration: Type.Optional(TargetTrackingConfiguration),
    enabled: Type.Boolean(),
  },
  { $id: "ScalingPolicy" },
);
export type ScalingPolicy = Static<typeof ScalingPolicy>;

export const ExecutePolicy = Type.Object(
  {
    honorCooldown: Type.Optional(Type.Boolean()),
    metricValue: Type.Optional(Type.Number()),
    breachThreshold: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type ExecutePolicy = Static<typeof ExecutePolicy>;

export const PolicyExecution = Type.Object({
  changed: Type.Boolean(),
  from: Type.Integer({ description: "Desired capacity before" }),
  to: Type.Integer({ description: "Desired capacity after" }),
  skipped: Type.Optional(Type.String({ description: "Why nothing changed" })),
});
export type PolicyExecution = Static<typeof PolicyExecution>;
