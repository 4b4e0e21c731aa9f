import { alarmService } from "./alarms.ts";
import { autoScalingGroupService } from "./auto-scaling-groups.ts";
import { certificateService } from "./certificates.ts";
import { cfnChangeSetService } from "./cfn-change-sets.ts";
import { cfnStackService } from "./cfn-stacks.ts";
import type { ServiceContext } from "./context.ts";
import { ec2InstanceService } from "./ec2-instances.ts";
import { groupMetricService } from "./group-metrics.ts";
import { instanceActionService } from "./instance-actions.ts";
import { instanceAttachmentService } from "./instance-attachments.ts";
import { instanceProtectionService } from "./instance-protection.ts";
import { instanceRefreshService } from "./instance-refreshes.ts";
import { instanceStandbyService } from "./instance-standby.ts";
import { launchTemplateService } from "./launch-templates.ts";
import { lifecycleHookService } from "./lifecycle-hooks.ts";
import { listenerAttributeService } from "./listener-attributes.ts";
import { listenerCertificateService } from "./listener-certificates.ts";
import { listenerService } from "./listeners.ts";
import { loadBalancerService } from "./load-balancers.ts";
import { metricService } from "./metrics.ts";
import { ruleService } from "./rules.ts";
import { scalingPolicyService } from "./scaling-policies.ts";
import { scalingProcessService } from "./scaling-processes.ts";
import { scheduledActionService } from "./scheduled-actions.ts";
import { describeSslPolicies } from "./ssl-policies.ts";
import { taggingService } from "./tagging.ts";
import { targetGroupService } from "./target-groups.ts";
import { webAclAssociationService } from "./waf-associations.ts";
import { ipSetService } from "./waf-ip-sets.ts";
import { wafSampledService } from "./waf-sampled.ts";
import { wafTagService } from "./waf-tags.ts";
import { webAclService } from "./waf-web-acls.ts";
import { warmPoolService } from "./warm-pools.ts";

export * from "./activities.ts";
export type { StartedActivity } from "./activity-starts.ts";
export * from "./alarms.ts";
export * from "./auto-scaling-groups.ts";
export * from "./certificate-authority.ts";
export * from "./certificate-errors.ts";
export * from "./certificate-inputs.ts";
export * from "./certificates.ts";
export * from "./cfn-change-sets.ts";
export * from "./cfn-executor.ts";
export * from "./cfn-stacks.ts";
export {
  inProgressStatuses,
  isInProgress,
  type StackEventRow,
  type StackResourceRow,
  type StackRow,
  stacksInProgress,
} from "./cfn-store.ts";
export * from "./context.ts";
export * from "./ec2-instances.ts";
export * from "./group-capacity.ts";
export * from "./group-metrics.ts";
export * from "./group-target-groups.ts";
export * from "./group-view.ts";
export * from "./instance-actions.ts";
export * from "./instance-attachments.ts";
export * from "./instance-events.ts";
export * from "./instance-metadata.ts";
export * from "./instance-moves.ts";
export * from "./instance-protection.ts";
export * from "./instance-refreshes.ts";
export * from "./instance-standby.ts";
export * from "./instance-targets.ts";
export * from "./instances.ts";
export * from "./launch-templates.ts";
export * from "./lifecycle-actions.ts";
export * from "./lifecycle-hooks.ts";
export * from "./lifecycle-registry.ts";
export * from "./listener-certificates.ts";
export * from "./listeners.ts";
export * from "./load-balancers.ts";
export * from "./metrics.ts";
export * from "./port-probe.ts";
export * from "./refresh-registry.ts";
export * from "./rules.ts";
export * from "./scaling-policies.ts";
export * from "./scaling-processes.ts";
export * from "./scheduled-actions.ts";
export * from "./shapes/index.ts";
/** The same declarations under one name, for doors whose own names would clash (aws/services). */
export * as shapes from "./shapes/index.ts";
export * from "./ssl-policies.ts";
export * from "./tagging.ts";
export * from "./tags.ts";
export * from "./target-groups.ts";
export * from "./target-health-view.ts";
export * from "./user-data.ts";
export * from "./waf-associations.ts";
export * from "./waf-common.ts";
export * from "./waf-ip-sets.ts";
export * from "./waf-sampled.ts";
export * from "./waf-tags.ts";
export * from "./waf-web-acls.ts";
export * from "./warm-pool-instances.ts";
export * from "./warm-pools.ts";

/**
 * The control plane's operations, one object per resource. Both API doors (REST and, later, the AWS
 * query protocol) and the worker call these, so validation, idempotency and errors are the same
 * whichever way a request comes in.
 */
export function createServices(ctx: ServiceContext) {
  const cfnStacks = cfnStackService(ctx);
  return {
    cfnStacks,
    cfnChangeSets: cfnChangeSetService(ctx, cfnStacks),
    ctx,
    loadBalancers: loadBalancerService(ctx),
    listeners: listenerService(ctx),
    listenerCertificates: listenerCertificateService(ctx),
    listenerAttributes: listenerAttributeService(ctx),
    rules: ruleService(ctx),
    sslPolicies: { describe: describeSslPolicies },
    targetGroups: targetGroupService(ctx),
    launchTemplates: launchTemplateService(ctx),
    groups: autoScalingGroupService(ctx),
    policies: scalingPolicyService(ctx),
    alarms: alarmService(ctx),
    metrics: metricService(ctx),
    certificates: certificateService(ctx),
    tagging: taggingService(ctx),
    instanceActions: instanceActionService(ctx),
    instanceRefreshes: instanceRefreshService(ctx),
    standby: instanceStandbyService(ctx),
    attachments: instanceAttachmentService(ctx),
    protection: instanceProtectionService(ctx),
    scalingProcesses: scalingProcessService(ctx),
    ec2Instances: ec2InstanceService(ctx),
    warmPools: warmPoolService(ctx),
    scheduledActions: scheduledActionService(ctx),
    groupMetrics: groupMetricService(ctx),
    lifecycleHooks: lifecycleHookService(ctx),
    wafSampled: wafSampledService(ctx),
    webAcls: webAclService(ctx),
    ipSets: ipSetService(ctx),
    webAclAssociations: webAclAssociationService(ctx),
    wafTags: wafTagService(ctx),
  };
}

export type Services = ReturnType<typeof createServices>;
