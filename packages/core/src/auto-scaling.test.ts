import { describe, expect, it } from "vitest";
import {
  adjustedCapacity,
  checkStepAdjustments,
  clamp,
  findStep,
  normalizePolicy,
  type PolicyInput,
} from "./auto-scaling.ts";
import { AwsError, Errors } from "./errors.ts";
import type { StepAdjustment } from "./types.ts";

/*
 * Expectations come from the Amazon EC2 Auto Scaling User Guide, "Step and simple scaling policies"
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html), the StepAdjustment
 * and PutScalingPolicy API references, and not from the implementation.
 */

function validationError(run: () => unknown): AwsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(Errors.ValidationError);
    expect((error as AwsError).code).toBe("ValidationError");
    if (error instanceof AwsError) return error;
  }
  throw new Error("expected a ValidationError");
}

describe("adjustedCapacity", () => {
  it("ChangeInCapacity adds the adjustment (3 and 5 make 8)", () => {
    expect(adjustedCapacity(3, "ChangeInCapacity", 5)).toBe(8);
    expect(adjustedCapacity(3, "ChangeInCapacity", -2)).toBe(1);
  });

  it("ExactCapacity sets the capacity (3 and 5 make 5)", () => {
    expect(adjustedCapacity(3, "ExactCapacity", 5)).toBe(5);
    expect(adjustedCapacity(3, "ExactCapacity", 0)).toBe(0);
  });

  it("PercentChangeInCapacity follows the guide's walk-through: 10 → 11 → 14 → 13 → 10", () => {
    expect(adjustedCapacity(10, "PercentChangeInCapacity", 10)).toBe(11);
    // 30 % of 11 is 3.3, rounded down to 3.
    expect(adjustedCapacity(11, "PercentChangeInCapacity", 30)).toBe(14);
    // 10 % of 14 is 1.4, so 1 instance is removed.
    expect(adjustedCapacity(14, "PercentChangeInCapacity", -10)).toBe(13);
    // 30 % of 13 is 3.9, so 3 instances are removed.
    expect(adjustedCapacity(13, "PercentChangeInCapacity", -30)).toBe(10);
  });

  it("rounds values greater than 1 down (12.7 → 12)", () => {
    expect(adjustedCapacity(127, "PercentChangeInCapacity", 10)).toBe(139);
  });

  it("rounds values between 0 and 1 to 1 (.67 → 1)", () => {
    expect(adjustedCapacity(67, "PercentChangeInCapacity", 1)).toBe(68);
  });

  it("rounds values between 0 and -1 to -1 (-.58 → -1)", () => {
    expect(adjustedCapacity(58, "PercentChangeInCapacity", -1)).toBe(57);
  });

  it("rounds values less than -1 up (-6.67 → -6)", () => {
    expect(adjustedCapacity(667, "PercentChangeInCapacity", -1)).toBe(661);
  });

  it("leaves whole percentages whole (exactly 1 and -1 stay as they are)", () => {
    expect(adjustedCapacity(100, "PercentChangeInCapacity", 1)).toBe(101);
    expect(adjustedCapacity(100, "PercentChangeInCapacity", -1)).toBe(99);
    expect(adjustedCapacity(100, "PercentChangeInCapacity", 50)).toBe(150);
  });

  it("raises the change to MinAdjustmentMagnitude (25 % of 4 with a minimum of 2 adds 2)", () => {
    expect(adjustedCapacity(4, "PercentChangeInCapacity", 25, 2)).toBe(6);
    expect(adjustedCapacity(4, "PercentChangeInCapacity", -25, 2)).toBe(2);
  });

  it("keeps a change already above MinAdjustmentMagnitude", () => {
    expect(adjustedCapacity(20, "PercentChangeInCapacity", 25, 2)).toBe(25);
    expect(adjustedCapacity(20, "PercentChangeInCapacity", -25, 2)).toBe(15);
  });
});

describe("clamp", () => {
  const sizes = { minSize: 2, maxSize: 6 };
  it("keeps a capacity within the group's bounds", () => {
    expect(clamp(4, sizes)).toBe(4);
    expect(clamp(2, sizes)).toBe(2);
    expect(clamp(6, sizes)).toBe(6);
  });
  it("raises a capacity below MinSize and lowers one above MaxSize", () => {
    expect(clamp(-3, sizes)).toBe(2);
    expect(clamp(1, sizes)).toBe(2);
    expect(clamp(7, sizes)).toBe(6);
    expect(clamp(100, { minSize: 0, maxSize: 0 })).toBe(0);
  });
});

// The user guide's example, breach threshold 50.
const scaleOut: StepAdjustment[] = [
  { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 0 },
  { metricIntervalLowerBound: 10, metricIntervalUpperBound: 20, scalingAdjustment: 10 },
  { metricIntervalLowerBound: 20, scalingAdjustment: 30 },
];
const scaleIn: StepAdjustment[] = [
  { metricIntervalLowerBound: -10, metricIntervalUpperBound: 0, scalingAdjustment: 0 },
  { metricIntervalLowerBound: -20, metricIntervalUpperBound: -10, scalingAdjustment: -10 },
  { metricIntervalUpperBound: -20, scalingAdjustment: -30 },
];

describe("findStep", () => {
  it("above the threshold, includes the lower bound and excludes the upper bound", () => {
    expect(findStep(scaleOut, 55, 50)?.scalingAdjustment).toBe(0);
    expect(findStep(scaleOut, 59.99, 50)?.scalingAdjustment).toBe(0);
    expect(findStep(scaleOut, 60, 50)?.scalingAdjustment).toBe(10);
    expect(findStep(scaleOut, 69.99, 50)?.scalingAdjustment).toBe(10);
    expect(findStep(scaleOut, 70, 50)?.scalingAdjustment).toBe(30);
    expect(findStep(scaleOut, 1e6, 50)?.scalingAdjustment).toBe(30);
  });

  it("below the threshold, excludes the lower bound and includes the upper bound", () => {
    expect(findStep(scaleIn, 45, 50)?.scalingAdjustment).toBe(0);
    expect(findStep(scaleIn, 40.01, 50)?.scalingAdjustment).toBe(0);
    expect(findStep(scaleIn, 40, 50)?.scalingAdjustment).toBe(-10);
    expect(findStep(scaleIn, 30.01, 50)?.scalingAdjustment).toBe(-10);
    expect(findStep(scaleIn, 30, 50)?.scalingAdjustment).toBe(-30);
    expect(findStep(scaleIn, -1e6, 50)?.scalingAdjustment).toBe(-30);
  });

  it("at the threshold, a step with lower bound 0 applies ('greater than or equal to 50 and less than 60')", () => {
    expect(findStep(scaleOut, 50, 50)?.scalingAdjustment).toBe(0);
  });

  // The StepAdjustment API reference: "To trigger the adjustment when the metric is greater than 40 and
  // less than or equal to 50, specify a lower bound of -10 and an upper bound of 0."
  it("at the threshold, a step with upper bound 0 applies ('greater than 40 and less than or equal to 50')", () => {
    expect(findStep(scaleIn, 50, 50)?.scalingAdjustment).toBe(0);
  });

  it("finds nothing where no step reaches", () => {
    const steps: StepAdjustment[] = [{ metricIntervalLowerBound: 10, scalingAdjustment: 2 }];
    expect(findStep(steps, 55, 50)).toBeUndefined();
    expect(findStep(steps, 60, 50)?.scalingAdjustment).toBe(2);
  });
});

describe("checkStepAdjustments", () => {
  it("accepts the user guide's scale-out and scale-in step sets", () => {
    expect(() => checkStepAdjustments(scaleOut)).not.toThrow();
    expect(() => checkStepAdjustments(scaleIn)).not.toThrow();
  });

  it("accepts a single open-ended step and steps in any order", () => {
    expect(() => checkStepAdjustments([{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }])).not.toThrow();
    expect(() =>
      checkStepAdjustments([{ metricIntervalUpperBound: 0, scalingAdjustment: -1 }]),
    ).not.toThrow();
    expect(() => checkStepAdjustments([...scaleOut].reverse())).not.toThrow();
    // Only a negative lower bound requires a null lower bound: a step starting at 10 may stand alone.
    expect(() =>
      checkStepAdjustments([{ metricIntervalLowerBound: 10, scalingAdjustment: 1 }]),
    ).not.toThrow();
  });

  it("accepts steps on both sides of the threshold when they meet at 0", () => {
    expect(() =>
      checkStepAdjustments([
        { metricIntervalUpperBound: 0, scalingAdjustment: -1 },
        { metricIntervalLowerBound: 0, scalingAdjustment: 1 },
      ]),
    ).not.toThrow();
  });

  it("refuses overlapping ranges", () => {
    const error = validationError(() =>
      checkStepAdjustments([
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 20, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 10, scalingAdjustment: 2 },
      ]),
    );
    expect(error.message).toMatch(/overlap/);
  });

  it("refuses a gap between ranges", () => {
    const error = validationError(() =>
      checkStepAdjustments([
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 20, scalingAdjustment: 2 },
      ]),
    );
    expect(error.message).toMatch(/gap/);
  });

  it("refuses a step whose upper and lower bounds are both null", () => {
    validationError(() => checkStepAdjustments([{ scalingAdjustment: 1 }]));
  });

  it("refuses more than one null lower bound and more than one null upper bound", () => {
    validationError(() =>
      checkStepAdjustments([
        { metricIntervalUpperBound: -10, scalingAdjustment: -2 },
        { metricIntervalUpperBound: 0, scalingAdjustment: -1 },
      ]),
    );
    validationError(() =>
      checkStepAdjustments([
        { metricIntervalLowerBound: 0, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 10, scalingAdjustment: 2 },
      ]),
    );
  });

  it("requires a null lower bound when a lower bound is negative", () => {
    validationError(() =>
      checkStepAdjustments([
        { metricIntervalLowerBound: -10, metricIntervalUpperBound: 0, scalingAdjustment: -1 },
      ]),
    );
  });

  it("requires a null upper bound when an upper bound is positive", () => {
    validationError(() =>
      checkStepAdjustments([
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
      ]),
    );
  });

  it("refuses a lower bound that is not below the upper bound", () => {
    validationError(() =>
      checkStepAdjustments([
        { metricIntervalUpperBound: 0, scalingAdjustment: -1 },
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 0, scalingAdjustment: 0 },
        { metricIntervalLowerBound: 0, scalingAdjustment: 1 },
      ]),
    );
  });

  it("allows at most 20 step adjustments (the EC2 Auto Scaling quota)", () => {
    const steps = (count: number): StepAdjustment[] =>
      Array.from({ length: count }, (_, i) => ({
        ...(i > 0 && { metricIntervalLowerBound: i - 1 }),
        ...(i < count - 1 && { metricIntervalUpperBound: i }),
        scalingAdjustment: i,
      }));
    expect(() => checkStepAdjustments(steps(20))).not.toThrow();
    validationError(() => checkStepAdjustments(steps(21)));
  });
});

describe("normalizePolicy", () => {
  const simple: PolicyInput = {
    policyName: "scale-out",
    adjustmentType: "ChangeInCapacity",
    scalingAdjustment: 1,
  };
  const step: PolicyInput = {
    policyName: "steps",
    policyType: "StepScaling",
    adjustmentType: "PercentChangeInCapacity",
    stepAdjustments: scaleOut,
  };
  const targetTracking: PolicyInput = {
    policyName: "cpu-50",
    policyType: "TargetTrackingScaling",
    targetTrackingConfiguration: {
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: 50,
    },
  };

  it("defaults to an enabled SimpleScaling policy", () => {
    expect(normalizePolicy(simple)).toEqual({
      policyType: "SimpleScaling",
      adjustmentType: "ChangeInCapacity",
      scalingAdjustment: 1,
      enabled: true,
    });
    expect(normalizePolicy({ ...simple, enabled: false, cooldown: 120 })).toMatchObject({
      enabled: false,
      cooldown: 120,
    });
  });

  it("requires PolicyName", () => {
    validationError(() => normalizePolicy({ ...simple, policyName: undefined }));
  });

  it("SimpleScaling requires AdjustmentType and ScalingAdjustment", () => {
    validationError(() => normalizePolicy({ ...simple, adjustmentType: undefined }));
    validationError(() => normalizePolicy({ ...simple, scalingAdjustment: undefined }));
  });

  it("SimpleScaling refuses StepAdjustments, MetricAggregationType, EstimatedInstanceWarmup and TargetTrackingConfiguration", () => {
    validationError(() => normalizePolicy({ ...simple, stepAdjustments: scaleOut }));
    validationError(() => normalizePolicy({ ...simple, metricAggregationType: "Average" }));
    validationError(() => normalizePolicy({ ...simple, estimatedInstanceWarmup: 60 }));
    validationError(() =>
      normalizePolicy({ ...simple, targetTrackingConfiguration: targetTracking.targetTrackingConfiguration }),
    );
  });

  it("StepScaling requires StepAdjustments and defaults MetricAggregationType to Average", () => {
    expect(normalizePolicy(step)).toEqual({
      policyType: "StepScaling",
      adjustmentType: "PercentChangeInCapacity",
      stepAdjustments: scaleOut,
      metricAggregationType: "Average",
      enabled: true,
    });
    expect(
      normalizePolicy({ ...step, metricAggregationType: "Maximum", estimatedInstanceWarmup: 30 }),
    ).toMatchObject({ metricAggregationType: "Maximum", estimatedInstanceWarmup: 30 });
    validationError(() => normalizePolicy({ ...step, stepAdjustments: undefined }));
    validationError(() => normalizePolicy({ ...step, stepAdjustments: [] }));
    validationError(() => normalizePolicy({ ...step, adjustmentType: undefined }));
  });

  it("StepScaling refuses ScalingAdjustment and Cooldown, and checks its steps", () => {
    validationError(() => normalizePolicy({ ...step, scalingAdjustment: 1 }));
    validationError(() => normalizePolicy({ ...step, cooldown: 60 }));
    validationError(() => normalizePolicy({ ...step, metricAggregationType: "Sum" }));
    validationError(() =>
      normalizePolicy({
        ...step,
        stepAdjustments: [
          { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1 },
        ],
      }),
    );
  });

  it("TargetTrackingScaling requires a configuration and refuses the simple and step fields", () => {
    expect(normalizePolicy(targetTracking)).toEqual({
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: 50,
        disableScaleIn: false,
      },
      enabled: true,
    });
    expect(normalizePolicy({ ...targetTracking, estimatedInstanceWarmup: 90 })).toMatchObject({
      estimatedInstanceWarmup: 90,
    });
    validationError(() => normalizePolicy({ ...targetTracking, targetTrackingConfiguration: undefined }));
    for (const extra of [
      { adjustmentType: "ChangeInCapacity" },
      { scalingAdjustment: 1 },
      { minAdjustmentMagnitude: 1 },
      { cooldown: 60 },
      { stepAdjustments: scaleOut },
      { metricAggregationType: "Average" },
    ]) {
      validationError(() => normalizePolicy({ ...targetTracking, ...extra }));
    }
  });

  it("TargetTrackingScaling takes exactly one metric specification, ALBRequestCountPerTarget with a ResourceLabel", () => {
    validationError(() =>
      normalizePolicy({
        ...targetTracking,
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
          customizedMetricSpecification: { metricName: "Load", namespace: "App", statistic: "Average" },
          targetValue: 50,
        },
      }),
    );
    validationError(() =>
      normalizePolicy({
        ...targetTracking,
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget" },
          targetValue: 100,
        },
      }),
    );
    expect(
      normalizePolicy({
        ...targetTracking,
        targetTrackingConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: "ALBRequestCountPerTarget",
            resourceLabel: "app/web/0123456789abcdef/targetgroup/web-tg/fedcba9876543210",
          },
          targetValue: 100,
        },
      }).targetTrackingConfiguration?.predefinedMetricSpecification?.resourceLabel,
    ).toBe("app/web/0123456789abcdef/targetgroup/web-tg/fedcba9876543210");
  });

  it("ExactCapacity takes only non-negative adjustments", () => {
    expect(
      normalizePolicy({ ...simple, adjustmentType: "ExactCapacity", scalingAdjustment: 0 }),
    ).toMatchObject({
      scalingAdjustment: 0,
    });
    validationError(() =>
      normalizePolicy({ ...simple, adjustmentType: "ExactCapacity", scalingAdjustment: -1 }),
    );
  });

  it("MinAdjustmentMagnitude goes with PercentChangeInCapacity, for simple and step policies", () => {
    expect(
      normalizePolicy({ ...simple, adjustmentType: "PercentChangeInCapacity", minAdjustmentMagnitude: 2 }),
    ).toMatchObject({ minAdjustmentMagnitude: 2 });
    expect(normalizePolicy({ ...step, minAdjustmentMagnitude: 2 })).toMatchObject({
      minAdjustmentMagnitude: 2,
    });
    validationError(() => normalizePolicy({ ...simple, minAdjustmentMagnitude: 2 }));
  });

  it("refuses unknown policy and adjustment types, and PredictiveScaling", () => {
    validationError(() => normalizePolicy({ ...simple, policyType: "Scheduled" }));
    validationError(() => normalizePolicy({ ...simple, adjustmentType: "Percent" }));
    validationError(() => normalizePolicy({ ...simple, policyType: "PredictiveScaling" }));
  });
});
