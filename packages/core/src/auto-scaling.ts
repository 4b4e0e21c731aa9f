import { check, Errors } from "./errors.ts";
import type {
  AdjustmentType,
  MetricDimension,
  StepAdjustment,
  TargetTrackingConfiguration,
} from "./types.ts";
import { checkInt, checkOneOf, checkResourceName } from "./validate.ts";

export const terminationPolicies = [
  "Default",
  "OldestInstance",
  "NewestInstance",
  "OldestLaunchConfiguration",
  "OldestLaunchTemplate",
  "ClosestToNextInstanceHour",
  "AllocationStrategy",
] as const;
export type TerminationPolicy = (typeof terminationPolicies)[number];

export interface GroupSizes {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

/** Min <= desired <= max, with AWS's sentence when not. */
export function checkSizes({ minSize, maxSize, desiredCapacity }: GroupSizes): void {
  checkInt("MinSize", minSize, 0, 10000);
  checkInt("MaxSize", maxSize, 0, 10000);
  checkInt("DesiredCapacity", desiredCapacity, 0, 10000);
  check(minSize <= maxSize, `Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
  check(
    desiredCapacity >= minSize && desiredCapacity <= maxSize,
    `Desired capacity:${desiredCapacity} must be between the specified min size:${minSize} and max size:${maxSize}`,
  );
}

export interface GroupSettingsInput {
  autoScalingGroupName?: string;
  healthCheckType?: string;
  healthCheckGracePeriod?: number;
  defaultCooldown?: number;
  defaultInstanceWarmup?: number;
  terminationPolicies?: string[];
  newInstancesProtectedFromScaleIn?: boolean;
}

export function checkGroupName(name: string | undefined): asserts name is string {
  check(name !== undefined, "AutoScalingGroupName is required");
  checkResourceName("AutoScalingGroup", name);
}

export function checkGroupSettings(input: GroupSettingsInput): void {
  if (input.healthCheckType !== undefined)
    checkOneOf("HealthCheckType", input.healthCheckType, ["EC2", "ELB"] as const);
  if (input.healthCheckGracePeriod !== undefined)
    checkInt("HealthCheckGracePeriod", input.healthCheckGracePeriod, 0, 86400 * 2);
  if (input.defaultCooldown !== undefined) checkInt("DefaultCooldown", input.defaultCooldown, 0, 86400 * 2);
  if (input.defaultInstanceWarmup !== undefined)
    checkInt("DefaultInstanceWarmup", input.defaultInstanceWarmup, 0, 86400 * 2);
  if (input.terminationPolicies !== undefined) {
    check(Array.isArray(input.terminationPolicies), "TerminationPolicies must be a list");
    check(input.terminationPolicies.length <= 10, "At most 10 termination policies can be given");
    for (const policy of input.terminationPolicies)
      checkOneOf("TerminationPolicies", policy, terminationPolicies);
  }
}

// ---- Scaling policies ------------------------------------------------------------------------------

export interface PolicyInput {
  policyName?: string;
  policyType?: string;
  adjustmentType?: string;
  scalingAdjustment?: number;
  minAdjustmentMagnitude?: number;
  cooldown?: number;
  metricAggregationType?: string;
  stepAdjustments?: StepAdjustment[];
  estimatedInstanceWarmup?: number;
  targetTrackingConfiguration?: TargetTrackingInput;
  enabled?: boolean;
}

/** A target tracking configuration as a door decodes it: its enum-like members are checked here. */
export interface TargetTrackingInput {
  predefinedMetricSpecification?: { predefinedMetricType: string; resourceLabel?: string };
  customizedMetricSpecification?: {
    metricName?: string;
    namespace?: string;
    dimensions?: MetricDimension[];
    statistic?: string;
    unit?: string;
  };
  targetValue: number;
  disableScaleIn?: boolean;
}

export interface PolicySettings {
  policyType: "SimpleScaling" | "StepScaling" | "TargetTrackingScaling";
  adjustmentType?: AdjustmentType;
  scalingAdjustment?: number;
  minAdjustmentMagnitude?: number;
  cooldown?: number;
  metricAggregationType?: "Minimum" | "Maximum" | "Average";
  stepAdjustments?: StepAdjustment[];
  estimatedInstanceWarmup?: number;
  targetTrackingConfiguration?: TargetTrackingConfiguration;
  enabled: boolean;
}

const adjustmentTypes = ["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"] as const;

function refuse(present: unknown, message: string): void {
  check(present === undefined, message);
}

/** PutScalingPolicy's rules: which fields each policy type takes, needs and refuses. */
export function normalizePolicy(input: PolicyInput): PolicySettings {
  check(input.policyName !== undefined, "PolicyName is required");
  checkResourceName("Policy", input.policyName);
  const policyType = input.policyType ?? "SimpleScaling";
  if (policyType === "PredictiveScaling") {
    throw new Errors.ValidationError("PredictiveScaling policies are not supported by scaleout");
  }
  const type = checkOneOf("PolicyType", policyType, [
    "SimpleScaling",
    "StepScaling",
    "TargetTrackingScaling",
  ] as const);
  const enabled = input.enabled ?? true;
  if (input.estimatedInstanceWarmup !== undefined)
    checkInt("EstimatedInstanceWarmup", input.estimatedInstanceWarmup, 0, 86400);

  if (type === "TargetTrackingScaling") {
    const config = input.targetTrackingConfiguration;
    check(config !== undefined, "TargetTrackingConfiguration is required for TargetTrackingScaling policies");
    for (const [field, value] of [
      ["AdjustmentType", input.adjustmentType],
      ["ScalingAdjustment", input.scalingAdjustment],
      ["MinAdjustmentMagnitude", input.minAdjustmentMagnitude],
      ["Cooldown", input.cooldown],
      ["StepAdjustments", input.stepAdjustments],
      ["MetricAggregationType", input.metricAggregationType],
    ] as const) {
      refuse(value, `${field} is not supported for policy type TargetTrackingScaling`);
    }
    return {
      policyType: type,
      targetTrackingConfiguration: normalizeTargetTracking(config),
      ...(input.estimatedInstanceWarmup !== undefined && {
        estimatedInstanceWarmup: input.estimatedInstanceWarmup,
      }),
      enabled,
    };
  }

  refuse(
    input.targetTrackingConfiguration,
    `TargetTrackingConfiguration is not supported for policy type ${policyType}`,
  );
  check(input.adjustmentType !== undefined, `AdjustmentType is required for policy type ${policyType}`);
  const adjustmentType = checkOneOf("AdjustmentType", input.adjustmentType, adjustmentTypes);
  if (input.minAdjustmentMagnitude !== undefined) {
    check(
      adjustmentType === "PercentChangeInCapacity",
      "MinAdjustmentMagnitude is only valid with PercentChangeInCapacity",
    );
    checkInt("MinAdjustmentMagnitude", input.minAdjustmentMagnitude, 1, 10000);
  }
  const common = {
    adjustmentType,
    ...(input.minAdjustmentMagnitude !== undefined && {
      minAdjustmentMagnitude: input.minAdjustmentMagnitude,
    }),
    enabled,
  };

  if (type === "SimpleScaling") {
    check(
      input.scalingAdjustment !== undefined,
      "ScalingAdjustment is required for policy type SimpleScaling",
    );
    checkAdjustment(adjustmentType, input.scalingAdjustment);
    refuse(input.stepAdjustments, "StepAdjustments is not supported for policy type SimpleScaling");
    refuse(
      input.metricAggregationType,
      "MetricAggregationType is not supported for policy type SimpleScaling",
    );
    refuse(
      input.estimatedInstanceWarmup,
      "EstimatedInstanceWarmup is not supported for policy type SimpleScaling",
    );
    if (input.cooldown !== undefined) checkInt("Cooldown", input.cooldown, 0, 86400);
    return {
      policyType: type,
      ...common,
      scalingAdjustment: input.scalingAdjustment,
      ...(input.cooldown !== undefined && { cooldown: input.cooldown }),
    };
  }

  refuse(input.scalingAdjustment, "ScalingAdjustment is not supported for policy type StepScaling");
  refuse(input.cooldown, "Cooldown is not supported for policy type StepScaling");
  check(
    input.stepAdjustments !== undefined && input.stepAdjustments.length > 0,
    "StepAdjustments is required for policy type StepScaling",
  );
  for (const step of input.stepAdjustments) checkAdjustment(adjustmentType, step.scalingAdjustment);
  checkStepAdjustments(input.stepAdjustments);
  return {
    policyType: type,
    ...common,
    stepAdjustments: input.stepAdjustments.map((s) => ({ ...s })),
    metricAggregationType: checkOneOf("MetricAggregationType", input.metricAggregationType ?? "Average", [
      "Minimum",
      "Maximum",
      "Average",
    ] as const),
    ...(input.estimatedInstanceWarmup !== undefined && {
      estimatedInstanceWarmup: input.estimatedInstanceWarmup,
    }),
  };
}

function checkAdjustment(type: AdjustmentType, adjustment: number): void {
  check(Number.isInteger(adjustment), "ScalingAdjustment must be an integer");
  if (type === "ExactCapacity")
    check(adjustment >= 0, "ScalingAdjustment must be non-negative for ExactCapacity");
}

/**
 * Step bounds, relative to the alarm threshold: no overlap, no gap, at most one open lower and one open
 * upper end, and an open end wherever the steps reach past zero on that side (AWS's rules).
 */
export function checkStepAdjustments(steps: StepAdjustment[]): void {
  check(steps.length <= 20, "At most 20 step adjustments can be given");
  const low = (s: StepAdjustment) => s.metricIntervalLowerBound ?? Number.NEGATIVE_INFINITY;
  const high = (s: StepAdjustment) => s.metricIntervalUpperBound ?? Number.POSITIVE_INFINITY;
  for (const step of steps) {
    check(
      step.metricIntervalLowerBound !== undefined || step.metricIntervalUpperBound !== undefined,
      "The upper and lower bound of a step adjustment cannot both be null",
    );
    check(low(step) < high(step), "The lower bound of a step adjustment must be less than its upper bound");
  }
  check(
    steps.filter((s) => s.metricIntervalLowerBound === undefined).length <= 1,
    "Only one step adjustment can have a null lower bound",
  );
  check(
    steps.filter((s) => s.metricIntervalUpperBound === undefined).length <= 1,
    "Only one step adjustment can have a null upper bound",
  );
  const sorted = [...steps].sort((a, b) => low(a) - low(b));
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (!previous || !current) continue;
    check(high(previous) <= low(current), "Step adjustment intervals cannot overlap");
    check(high(previous) === low(current), "Step adjustment intervals cannot have gaps");
  }
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (first && low(first) < 0)
    check(
      first.metricIntervalLowerBound === undefined,
      "A step adjustment with a negative lower bound requires a step with a null lower bound",
    );
  if (last && high(last) > 0)
    check(
      last.metricIntervalUpperBound === undefined,
      "A step adjustment with a positive upper bound requires a step with a null upper bound",
    );
}

const predefinedTypes = [
  "ASGAverageCPUUtilization",
  "ASGAverageNetworkIn",
  "ASGAverageNetworkOut",
  "ALBRequestCountPerTarget",
] as const;

function normalizeTargetTracking(config: TargetTrackingInput): TargetTrackingConfiguration {
  check(
    typeof config.targetValue === "number" && Number.isFinite(config.targetValue),
    "TargetValue is required",
  );
  check(config.targetValue > 0, "TargetValue must be greater than 0");
  const predefined = config.predefinedMetricSpecification;
  const customized = config.customizedMetricSpecification;
  check(
    (predefined === undefined) !== (customized === undefined),
    "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given",
  );
  const predefinedMetricType =
    predefined && checkOneOf("PredefinedMetricType", predefined.predefinedMetricType, predefinedTypes);
  if (predefined) {
    if (predefinedMetricType === "ALBRequestCountPerTarget") {
      check(
        predefined.resourceLabel !== undefined && parseResourceLabel(predefined.resourceLabel) !== undefined,
        "ResourceLabel 'app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>' is required for ALBRequestCountPerTarget",
      );
    } else {
      refuse(predefined.resourceLabel, `ResourceLabel is only valid for ALBRequestCountPerTarget`);
    }
  }
  const metric = customized && {
    ...customized,
    metricName: customized.metricName ?? "",
    namespace: customized.namespace ?? "",
  };
  if (metric)
    check(
      Boolean(metric.metricName) && Boolean(metric.namespace),
      "CustomizedMetricSpecification needs MetricName and Namespace",
    );
  const statistic =
    metric &&
    checkOneOf("Statistic", metric.statistic ?? "", [
      "Average",
      "Minimum",
      "Maximum",
      "SampleCount",
      "Sum",
    ] as const);
  return {
    ...(predefined &&
      predefinedMetricType && { predefinedMetricSpecification: { ...predefined, predefinedMetricType } }),
    ...(metric && statistic && { customizedMetricSpecification: { ...metric, statistic } }),
    targetValue: config.targetValue,
    disableScaleIn: config.disableScaleIn ?? false,
  };
}

/** `app/{lb}/{lbId}/targetgroup/{tg}/{tgId}`: the ALB and target group a request-count policy tracks. */
export function parseResourceLabel(label: string): { loadBalancer: string; targetGroup: string } | undefined {
  const match = /^(app\/[^/]+\/[^/]+)\/(targetgroup\/[^/]+\/[^/]+)$/.exec(label);
  return match?.[1] && match[2] ? { loadBalancer: match[1], targetGroup: match[2] } : undefined;
}

// ---- Arithmetic -------------------------------------------------------------------------------------

/**
 * The capacity a simple or step adjustment asks for, before clamping. PercentChangeInCapacity rounds as
 * AWS documents: above 1 down, between 0 and 1 to 1, between -1 and 0 to -1, below -1 up; then
 * MinAdjustmentMagnitude raises the magnitude.
 */
export function adjustedCapacity(
  current: number,
  type: AdjustmentType,
  adjustment: number,
  minAdjustmentMagnitude?: number,
): number {
  switch (type) {
    case "ExactCapacity":
      return adjustment;
    case "ChangeInCapacity":
      return current + adjustment;
    case "PercentChangeInCapacity": {
      const raw = (current * adjustment) / 100;
      let delta: number;
      if (raw > 1) delta = Math.floor(raw);
      else if (raw > 0) delta = 1;
      else if (raw === 0) delta = 0;
      else if (raw >= -1) delta = -1;
      else delta = Math.ceil(raw);
      if (minAdjustmentMagnitude !== undefined && delta !== 0 && Math.abs(delta) < minAdjustmentMagnitude) {
        delta = Math.sign(delta) * minAdjustmentMagnitude;
      }
      return current + delta;
    }
  }
}

export function clamp(capacity: number, { minSize, maxSize }: { minSize: number; maxSize: number }): number {
  return Math.min(maxSize, Math.max(minSize, capacity));
}

/**
 * The step whose interval holds `metricValue - breachThreshold`. Above the threshold the lower bound is
 * inclusive and the upper exclusive; below it, the other way round.
 */
export function findStep(
  steps: StepAdjustment[],
  metricValue: number,
  breachThreshold: number,
): StepAdjustment | undefined {
  const delta = metricValue - breachThreshold;
  const within = (step: StepAdjustment, above: boolean) => {
    const low = step.metricIntervalLowerBound ?? Number.NEGATIVE_INFINITY;
    const high = step.metricIntervalUpperBound ?? Number.POSITIVE_INFINITY;
    return above ? delta >= low && delta < high : delta > low && delta <= high;
  };
  // Exactly at the threshold the side is the one the steps are written for: a scale-in policy on a
  // LessThanOrEqualToThreshold alarm has an upper bound of 0 that must include the threshold.
  if (delta === 0) return steps.find((s) => within(s, true)) ?? steps.find((s) => within(s, false));
  return steps.find((s) => within(s, delta > 0));
}

/**
 * The alarms a target tracking policy creates and owns, as AWS shapes them: a high alarm over 3 one-minute
 * datapoints and a low alarm over 15 at 90 % of the target. Fast mode shortens both to 1 s periods (2 of 2
 * high, 5 of 5 low) so a local loop closes in seconds.
 */
export function targetTrackingAlarmShape(fast: boolean): {
  high: { period: number; evaluationPeriods: number };
  low: { period: number; evaluationPeriods: number; thresholdRatio: number };
} {
  return fast
    ? {
        high: { period: 1, evaluationPeriods: 2 },
        low: { period: 1, evaluationPeriods: 5, thresholdRatio: 0.9 },
      }
    : {
        high: { period: 60, evaluationPeriods: 3 },
        low: { period: 60, evaluationPeriods: 15, thresholdRatio: 0.9 },
      };
}

/**
 * Target tracking's capacity for a metric value: proportional to how far the metric is from the target,
 * rounded up so the group never undershoots (ceil(capacity × metric / target)).
 */
export function targetTrackingCapacity(capacity: number, metricValue: number, targetValue: number): number {
  if (capacity <= 0) return metricValue > 0 ? 1 : 0;
  return Math.ceil((capacity * metricValue) / targetValue - 1e-9);
}
