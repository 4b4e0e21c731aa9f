import type { PolicyInput } from "@scaleout/core";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { deleting, generatedName, numberProp, prop, requiredString, stringProp } from "./types.ts";

function inputOf(properties: ProviderRequest["properties"]): PolicyInput {
  const input = {
    policyType: stringProp(properties, "PolicyType"),
    adjustmentType: stringProp(properties, "AdjustmentType"),
    scalingAdjustment: numberProp(properties, "ScalingAdjustment"),
    minAdjustmentMagnitude: numberProp(properties, "MinAdjustmentMagnitude"),
    cooldown: numberProp(properties, "Cooldown"),
    metricAggregationType: stringProp(properties, "MetricAggregationType"),
    stepAdjustments: prop<PolicyInput["stepAdjustments"]>(properties, "StepAdjustments"),
    estimatedInstanceWarmup: numberProp(properties, "EstimatedInstanceWarmup"),
    targetTrackingConfiguration: prop<PolicyInput["targetTrackingConfiguration"]>(
      properties,
      "TargetTrackingConfiguration",
    ),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

/** AWS::AutoScaling::ScalingPolicy. Ref: the policy ARN; GetAtt Arn and PolicyName. */
export const scalingPolicyProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName"],
  create({ services, stackName, logicalId, properties, token }) {
    const group = requiredString(properties, "AutoScalingGroupName");
    const policyName = generatedName(stackName, logicalId, 255, token);
    const { policy } = services.policies.put(group, { policyName, ...inputOf(properties) });
    return {
      physicalId: policy.policyARN,
      attributes: { Arn: policy.policyARN, PolicyName: policyName, Group: group },
    };
  },
  update({ services, physicalId, properties }) {
    const group = requiredString(properties, "AutoScalingGroupName");
    const policyName = physicalId.slice(physicalId.lastIndexOf("policyName/") + 11);
    const { policy } = services.policies.put(group, { policyName, ...inputOf(properties) });
    return {
      physicalId: policy.policyARN,
      attributes: { Arn: policy.policyARN, PolicyName: policyName, Group: group },
    };
  },
  delete({ services, physicalId, properties }) {
    const group = requiredString(properties, "AutoScalingGroupName");
    const policyName = physicalId.slice(physicalId.lastIndexOf("policyName/") + 11);
    return deleting(() => services.policies.delete(group, policyName));
  },
};
