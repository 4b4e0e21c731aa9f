import { certificateProvider } from "./acm-certificate.ts";
import { autoScalingGroupProvider } from "./autoscaling-group.ts";
import { lifecycleHookProvider } from "./autoscaling-lifecycle-hook.ts";
import { scalingPolicyProvider } from "./autoscaling-scaling-policy.ts";
import { scheduledActionProvider } from "./autoscaling-scheduled-action.ts";
import { warmPoolProvider } from "./autoscaling-warm-pool.ts";
import { alarmProvider } from "./cloudwatch-alarm.ts";
import { launchTemplateProvider } from "./ec2-launch-template.ts";
import { listenerProvider } from "./elbv2-listener.ts";
import { listenerCertificateProvider } from "./elbv2-listener-certificate.ts";
import { listenerRuleProvider } from "./elbv2-listener-rule.ts";
import { loadBalancerProvider } from "./elbv2-load-balancer.ts";
import { targetGroupProvider } from "./elbv2-target-group.ts";
import { placeholderProvider } from "./placeholders.ts";
import type { ResourceProvider } from "./types.ts";

export type { ProviderRequest, Provisioned, ResourceProvider } from "./types.ts";

const providers: Record<string, ResourceProvider> = {
  "AWS::ElasticLoadBalancingV2::LoadBalancer": loadBalancerProvider,
  "AWS::ElasticLoadBalancingV2::TargetGroup": targetGroupProvider,
  "AWS::ElasticLoadBalancingV2::Listener": listenerProvider,
  "AWS::ElasticLoadBalancingV2::ListenerRule": listenerRuleProvider,
  "AWS::ElasticLoadBalancingV2::ListenerCertificate": listenerCertificateProvider,
  "AWS::EC2::LaunchTemplate": launchTemplateProvider,
  "AWS::AutoScaling::AutoScalingGroup": autoScalingGroupProvider,
  "AWS::AutoScaling::ScalingPolicy": scalingPolicyProvider,
  "AWS::AutoScaling::LifecycleHook": lifecycleHookProvider,
  "AWS::AutoScaling::ScheduledAction": scheduledActionProvider,
  "AWS::AutoScaling::WarmPool": warmPoolProvider,
  "AWS::CloudWatch::Alarm": alarmProvider,
  "AWS::CertificateManager::Certificate": certificateProvider,
};

/** The provider of a resource type: one that acts, a placeholder, or none (the stack fails). */
export function providerOf(type: string): ResourceProvider | undefined {
  return (Object.hasOwn(providers, type) ? providers[type] : undefined) ?? placeholderProvider(type);
}

/** The types with a provider of their own (every other supported type is a placeholder). */
export const actingProviderTypes = (): string[] => Object.keys(providers);
