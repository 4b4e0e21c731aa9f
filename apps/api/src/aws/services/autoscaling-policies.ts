import { Errors, type PolicyInput, parseScalingPolicyArn } from "@scaleout/core";
import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { bool, dbl, int, list, req, type Static, str, struct, unsupported } from "../shapes.ts";
import { page } from "./autoscaling-common.ts";

/* Scaling policies over the Auto Scaling door. */

// AWS's model leaves MetricName, Namespace and Statistic optional (Metrics is the alternative): the
// policy service requires them, with its own message.
const TargetTrackingConfiguration = struct({
  ...deriveMembers(shapes.TargetTrackingConfiguration),
  customizedMetricSpecification: struct({
    ...deriveMembers(shapes.CustomizedMetricSpecification),
    metricName: str,
    namespace: str,
    statistic: str,
    metrics: unsupported("Metric math in target tracking (Metrics) is not supported by scaleout"),
  }),
});
const Alarm = struct({ alarmName: str, alarmARN: str });

const ScalingPolicy = deriveShape(shapes.ScalingPolicy);

/** The group a policy belongs to: named, or read from the policy's ARN. */
function policyGroup(groupName: string | undefined, policyName: string): string {
  if (groupName !== undefined) return groupName;
  const parsed = parseScalingPolicyArn(policyName);
  if (!parsed)
    throw new Errors.ValidationError("AutoScalingGroupName is required unless PolicyName is a policy ARN");
  return parsed.group;
}

/** MinAdjustmentStep is the deprecated name of MinAdjustmentMagnitude. */
function policyInput(input: Static<typeof PutScalingPolicyInput>): PolicyInput {
  const { autoScalingGroupName: _group, minAdjustmentStep, ...policy } = input;
  return { ...policy, minAdjustmentMagnitude: policy.minAdjustmentMagnitude ?? minAdjustmentStep };
}

const PutScalingPolicyInput = struct({
  autoScalingGroupName: req(str),
  ...deriveMembers(shapes.PutPolicy),
  minAdjustmentStep: int,
  targetTrackingConfiguration: TargetTrackingConfiguration,
  predictiveScalingConfiguration: unsupported("PredictiveScaling policies are not supported by scaleout"),
});

export const policyOperations = {
  PutScalingPolicy: operation({
    input: PutScalingPolicyInput,
    output: struct({ policyARN: str, alarms: list(Alarm) }),
    support: "partial",
    notes:
      "SimpleScaling, StepScaling and TargetTrackingScaling (predefined or single-metric customized); no PredictiveScaling.",
    run: (input, { services }) => {
      const { policy } = services.policies.put(input.autoScalingGroupName, policyInput(input));
      return { policyARN: policy.policyARN, alarms: policy.alarms };
    },
  }),

  DescribePolicies: operation({
    input: struct({
      autoScalingGroupName: str,
      policyNames: list(str),
      policyTypes: list(str),
      ...page,
    }),
    output: struct({ scalingPolicies: list(ScalingPolicy), nextToken: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.policies.list({
        groupName: input.autoScalingGroupName,
        policyNames: input.policyNames,
        policyTypes: input.policyTypes,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      return { scalingPolicies: result.items, nextToken: result.nextToken };
    },
  }),

  DeletePolicy: operation({
    input: struct({ autoScalingGroupName: str, policyName: req(str) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.policies.delete(policyGroup(input.autoScalingGroupName, input.policyName), input.policyName);
      return undefined;
    },
  }),

  ExecutePolicy: operation({
    input: struct({
      autoScalingGroupName: str,
      policyName: req(str),
      honorCooldown: bool,
      metricValue: dbl,
      breachThreshold: dbl,
    }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      const { autoScalingGroupName, policyName, ...rest } = input;
      services.policies.execute(policyGroup(autoScalingGroupName, policyName), policyName, rest);
      return undefined;
    },
  }),
};
