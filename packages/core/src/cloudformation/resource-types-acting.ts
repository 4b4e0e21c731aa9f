import type { ResourceTypeSpec } from "./resource-type.ts";

/*
 * The resource types that act on scaleout's services, from CloudFormation's resource schemas (the
 * registry schemas cfn-lint ships for us-east-1): required and createOnly properties, the attributes
 * (readOnlyProperties) and what Ref returns (the resource reference pages' "Return values").
 */
export const actingResourceTypes: Readonly<Record<string, ResourceTypeSpec>> = {
  "AWS::ElasticLoadBalancingV2::LoadBalancer": {
    required: [],
    oneOf: ["Subnets", "SubnetMappings"],
    ref: "arn",
    attributes: [
      "CanonicalHostedZoneID",
      "DNSName",
      "LoadBalancerArn",
      "LoadBalancerFullName",
      "LoadBalancerName",
      "SecurityGroups",
    ],
    replacing: ["Name", "Type", "Scheme"],
  },
  "AWS::ElasticLoadBalancingV2::TargetGroup": {
    required: [],
    ref: "arn",
    attributes: ["LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName", "TargetGroupName"],
    replacing: ["TargetType", "ProtocolVersion", "Port", "Name", "VpcId", "Protocol", "IpAddressType"],
  },
  "AWS::ElasticLoadBalancingV2::Listener": {
    required: ["LoadBalancerArn", "DefaultActions"],
    ref: "arn",
    attributes: ["ListenerArn"],
    replacing: ["LoadBalancerArn"],
  },
  "AWS::ElasticLoadBalancingV2::ListenerRule": {
    required: ["Actions", "Priority", "Conditions"],
    ref: "arn",
    attributes: ["IsDefault", "RuleArn"],
    replacing: ["ListenerArn"],
  },
  "AWS::ElasticLoadBalancingV2::ListenerCertificate": {
    required: ["ListenerArn", "Certificates"],
    ref: "id",
    attributes: ["Id"],
    replacing: ["ListenerArn"],
  },
  "AWS::EC2::LaunchTemplate": {
    // A change to LaunchTemplateData makes a new version of the same template, never a new template.
    required: ["LaunchTemplateData"],
    ref: "id",
    attributes: ["DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId"],
    replacing: ["LaunchTemplateName"],
  },
  "AWS::AutoScaling::AutoScalingGroup": {
    required: ["MinSize", "MaxSize"],
    oneOf: ["InstanceId", "LaunchConfigurationName", "LaunchTemplate", "MixedInstancesPolicy"],
    ref: "name",
    attributes: [],
    replacing: ["InstanceId", "AutoScalingGroupName"],
    conditionallyReplacing: [
      "LaunchConfigurationName",
      "VPCZoneIdentifier",
      "LaunchTemplate",
      "MixedInstancesPolicy",
    ],
  },
  "AWS::AutoScaling::ScalingPolicy": {
    required: ["AutoScalingGroupName"],
    ref: "arn",
    attributes: ["Arn", "PolicyName"],
    replacing: ["AutoScalingGroupName"],
  },
  "AWS::AutoScaling::LifecycleHook": {
    required: ["LifecycleTransition", "AutoScalingGroupName"],
    ref: "name",
    attributes: [],
    replacing: ["AutoScalingGroupName", "LifecycleHookName"],
  },
  "AWS::AutoScaling::ScheduledAction": {
    required: ["AutoScalingGroupName"],
    ref: "name",
    attributes: ["ScheduledActionName"],
    replacing: ["AutoScalingGroupName"],
  },
  "AWS::AutoScaling::WarmPool": {
    required: ["AutoScalingGroupName"],
    ref: "name",
    attributes: [],
    replacing: ["AutoScalingGroupName"],
  },
  "AWS::CloudWatch::Alarm": {
    required: ["ComparisonOperator", "EvaluationPeriods"],
    oneOf: ["Metrics", "MetricName"],
    ref: "name",
    attributes: ["Arn"],
    replacing: ["AlarmName"],
  },
  "AWS::CertificateManager::Certificate": {
    required: ["DomainName"],
    ref: "arn",
    attributes: ["Id"],
    replacing: [
      "SubjectAlternativeNames",
      "DomainValidationOptions",
      "ValidationMethod",
      "DomainName",
      "CertificateAuthorityArn",
      "KeyAlgorithm",
    ],
  },
};
