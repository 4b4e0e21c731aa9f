import { type AwsError, Errors, type PolicyInput, parseScalingPolicyArn } from "@scaleout/core";
import { type GroupTag, type AutoScalingGroup as GroupView, type Services, shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import {
  type AwsService,
  type Call,
  operation,
  pageOfList,
  pageSize,
  validationErrors,
} from "../operation.ts";
import { bool, dbl, int, list, req, type Static, str, struct, unsupported } from "../shapes.ts";

// ---- Shapes (botocore autoscaling 2011-01-01) -------------------------------------------------------------

// The resources' members come from the services' declarations (services/src/shapes); what is the door's
// own is AWS's wire where it differs: tag descriptions, traffic sources, filters, unsupported members.
const Tag = struct({
  key: req(str),
  resourceId: str,
  resourceType: str,
  value: str,
  propagateAtLaunch: bool,
});
const TagDescription = struct({
  resourceId: str,
  resourceType: str,
  key: str,
  value: str,
  propagateAtLaunch: bool,
});
const TrafficSourceIdentifier = struct({ identifier: req(str), type: str });
const Filter = struct({ name: str, values: list(str) });

const Instance = deriveShape(shapes.InstanceSummary);

const AutoScalingGroup = struct({
  ...deriveMembers(shapes.AutoScalingGroup),
  tags: list(TagDescription),
  trafficSources: list(TrafficSourceIdentifier),
});

const Activity = deriveShape(shapes.Activity);

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

const GroupSettings = {
  launchConfigurationName: unsupported(
    "Launch configurations are not supported by scaleout: use LaunchTemplate (EC2 CreateLaunchTemplate)",
  ),
  ...deriveMembers(shapes.UpdateGroup),
  mixedInstancesPolicy: unsupported("MixedInstancesPolicy is not supported by scaleout: use LaunchTemplate"),
  placementGroup: str,
  capacityRebalance: bool,
};

const page = { nextToken: str, maxRecords: int };

const ignoredPlacement =
  "AvailabilityZones, VPCZoneIdentifier, PlacementGroup and CapacityRebalance are accepted and ignored: instances run on this machine.";

// ---- Helpers ---------------------------------------------------------------------------------------------

/** Traffic sources are target groups: the only kind scaleout has (type elbv2). */
function targetGroupsOf(sources: Array<{ identifier: string; type?: string }> | undefined): string[] {
  return (sources ?? []).map((source) => {
    const type = source.type ?? "elbv2";
    if (type !== "elbv2") {
      throw new Errors.ValidationError(
        `Traffic source type '${type}' is not supported by scaleout: only elbv2 (target groups) is`,
      );
    }
    return source.identifier;
  });
}

function groupOut(group: GroupView, tags: GroupTag[]) {
  return {
    ...group,
    // Subnets are not kept (placement is ignored): AWS leaves the member out when there are none.
    vpcZoneIdentifier: group.vpcZoneIdentifier === "" ? undefined : group.vpcZoneIdentifier,
    suspendedProcesses: [],
    enabledMetrics: [],
    tags,
    trafficSources: group.targetGroupARNs.map((identifier) => ({ identifier, type: "elbv2" })),
  };
}

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

function describeTrafficSources(services: Services, groupName: string) {
  const group = services.groups.get(groupName);
  // A target group is InService once the group has an instance in service (registered by the reconciler).
  const state = group.instances.some((i) => i.lifecycleState === "InService") ? "InService" : "Added";
  return group.targetGroupARNs.map((arn) => ({ arn, state }));
}

function terminate(call: Call, instanceId: string, decrement: boolean) {
  return call.services.instanceActions.terminate(instanceId, { shouldDecrementDesiredCapacity: decrement });
}

// ---- Operations ------------------------------------------------------------------------------------------

const CreateGroupInput = struct({
  autoScalingGroupName: req(str),
  ...GroupSettings,
  minSize: req(int),
  maxSize: req(int),
  instanceId: unsupported("Creating a group from an instance (InstanceId) is not supported by scaleout"),
  loadBalancerNames: list(str),
  targetGroupARNs: list(str),
  lifecycleHookSpecificationList: unsupported("Lifecycle hooks are not supported by scaleout"),
  tags: list(Tag),
  trafficSources: list(TrafficSourceIdentifier),
});

const UpdateGroupInput = struct({ autoScalingGroupName: req(str), ...GroupSettings });

const PutScalingPolicyInput = struct({
  autoScalingGroupName: req(str),
  ...deriveMembers(shapes.PutPolicy),
  minAdjustmentStep: int,
  targetTrackingConfiguration: TargetTrackingConfiguration,
  predictiveScalingConfiguration: unsupported("PredictiveScaling policies are not supported by scaleout"),
});

const Empty = struct({});

const operations = {
  CreateAutoScalingGroup: operation({
    input: CreateGroupInput,
    output: undefined,
    support: "partial",
    notes: `Launch templates only (no launch configurations or mixed instances policies); TrafficSources of type elbv2. ${ignoredPlacement}`,
    run: (input, { services }) => {
      if (input.loadBalancerNames?.length)
        throw new Errors.ValidationError(
          "Classic Load Balancers (LoadBalancerNames) are not supported by scaleout",
        );
      // AWS's tags name their group (ResourceId): here it can only be the group being created.
      const tags = input.tags?.map(({ key, value, resourceId, propagateAtLaunch }) => {
        if (resourceId !== undefined && resourceId !== input.autoScalingGroupName)
          throw new Errors.ValidationError(`Tag ${key} names another group (${resourceId})`);
        return { key, value: value ?? "", propagateAtLaunch };
      });
      const { loadBalancerNames: _none, trafficSources, ...group } = input;
      services.groups.create({
        ...group,
        targetGroupARNs: [...new Set([...(input.targetGroupARNs ?? []), ...targetGroupsOf(trafficSources)])],
        tags,
      });
      return undefined;
    },
  }),

  UpdateAutoScalingGroup: operation({
    input: UpdateGroupInput,
    output: undefined,
    support: "partial",
    notes: ignoredPlacement,
    run: (input, { services }) => {
      services.groups.update(input.autoScalingGroupName, input);
      return undefined;
    },
  }),

  DeleteAutoScalingGroup: operation({
    input: struct({ autoScalingGroupName: req(str), forceDelete: bool }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.groups.delete(input.autoScalingGroupName, {
        forceDelete: input.forceDelete,
      });
      return undefined;
    },
  }),

  DescribeAutoScalingGroups: operation({
    input: struct({
      autoScalingGroupNames: list(str),
      includeInstances: bool,
      ...page,
      filters: list(Filter),
    }),
    output: struct({ autoScalingGroups: list(AutoScalingGroup), nextToken: str }),
    support: "implemented",
    notes: "Filters: tag-key, tag-value and tag:<key>.",
    run: (input, { services }) => {
      let names = input.autoScalingGroupNames;
      if (input.filters?.length) {
        const matching = services.tagging.groups.groupsMatching(input.filters);
        names = names?.length ? names.filter((n) => matching.includes(n)) : matching;
        if (names.length === 0) return { autoScalingGroups: [] };
      }
      const result = services.groups.list({
        names,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      const tags = services.tagging.groups.of(result.items.map((g) => g.autoScalingGroupName));
      return {
        autoScalingGroups: result.items.map((g) => groupOut(g, tags.get(g.autoScalingGroupName) ?? [])),
        nextToken: result.nextToken,
      };
    },
  }),

  SetDesiredCapacity: operation({
    input: struct({ autoScalingGroupName: req(str), desiredCapacity: req(int), honorCooldown: bool }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.groups.setDesiredCapacity(input.autoScalingGroupName, {
        desiredCapacity: input.desiredCapacity,
        honorCooldown: input.honorCooldown,
      });
      return undefined;
    },
  }),

  DescribeAutoScalingInstances: operation({
    input: struct({ instanceIds: list(str), ...page }),
    output: struct({
      autoScalingInstances: list(struct({ autoScalingGroupName: str, ...Instance.members })),
      nextToken: str,
    }),
    support: "implemented",
    notes: "InstanceType is local.container or local.process.",
    run: (input, { services }) => {
      const result = services.groups.allInstances({
        instanceIds: input.instanceIds,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 50, 50),
        nextToken: input.nextToken,
      });
      return { autoScalingInstances: result.items, nextToken: result.nextToken };
    },
  }),

  TerminateInstanceInAutoScalingGroup: operation({
    input: struct({
      instanceId: str,
      instanceIds: list(str),
      autoScalingGroupName: str,
      shouldDecrementDesiredCapacity: req(bool),
    }),
    output: struct({ activity: Activity, activities: list(Activity) }),
    support: "implemented",
    notes:
      "The worker deregisters the instance, waits for draining and stops it; without decrement it launches a replacement.",
    run: (input, call) => {
      const ids = input.instanceIds ?? (input.instanceId !== undefined ? [input.instanceId] : []);
      if (ids.length === 0) throw validationErrors.missing("InstanceId");
      const activities = ids.map((id) => terminate(call, id, input.shouldDecrementDesiredCapacity));
      return input.instanceIds ? { activities } : { activity: activities[0] };
    },
  }),

  SetInstanceHealth: operation({
    input: struct({ instanceId: req(str), healthStatus: req(str), shouldRespectGracePeriod: bool }),
    output: undefined,
    support: "implemented",
    notes: "Unhealthy takes the instance out of service and the group replaces it.",
    run: (input, { services }) => {
      services.instanceActions.setHealth(input.instanceId, {
        healthStatus: input.healthStatus,
        shouldRespectGracePeriod: input.shouldRespectGracePeriod,
      });
      return undefined;
    },
  }),

  DescribeScalingActivities: operation({
    input: struct({
      activityIds: list(str),
      autoScalingGroupName: str,
      includeDeletedGroups: bool,
      ...page,
      filters: unsupported("Filters are not supported by scaleout's DescribeScalingActivities"),
    }),
    output: struct({ activities: list(Activity), nextToken: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.groups.activities(input.autoScalingGroupName, {
        activityIds: input.activityIds,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 100),
        nextToken: input.nextToken,
      });
      return { activities: result.items, nextToken: result.nextToken };
    },
  }),

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

  AttachLoadBalancerTargetGroups: operation({
    input: struct({ autoScalingGroupName: req(str), targetGroupARNs: req(list(str)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.groups.attachTargetGroups(input.autoScalingGroupName, input.targetGroupARNs);
      return {};
    },
  }),

  DetachLoadBalancerTargetGroups: operation({
    input: struct({ autoScalingGroupName: req(str), targetGroupARNs: req(list(str)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.groups.detachTargetGroups(input.autoScalingGroupName, input.targetGroupARNs);
      return {};
    },
  }),

  DescribeLoadBalancerTargetGroups: operation({
    input: struct({ autoScalingGroupName: req(str), ...page }),
    output: struct({
      loadBalancerTargetGroups: list(struct({ loadBalancerTargetGroupARN: str, state: str })),
      nextToken: str,
    }),
    support: "implemented",
    notes: "State is Added, or InService once the group has an instance in service.",
    run: (input, { services }) => {
      const result = pageOfList(describeTrafficSources(services, input.autoScalingGroupName), (s) => s.arn, {
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 100),
        nextToken: input.nextToken,
      });
      return {
        loadBalancerTargetGroups: result.items.map((s) => ({
          loadBalancerTargetGroupARN: s.arn,
          state: s.state,
        })),
        nextToken: result.nextToken,
      };
    },
  }),

  AttachTrafficSources: operation({
    input: struct({
      autoScalingGroupName: req(str),
      trafficSources: req(list(TrafficSourceIdentifier)),
      skipZonalShiftValidation: bool,
    }),
    output: Empty,
    support: "partial",
    notes: "Type elbv2 (target groups) only.",
    run: (input, { services }) => {
      services.groups.attachTargetGroups(input.autoScalingGroupName, targetGroupsOf(input.trafficSources));
      return {};
    },
  }),

  DetachTrafficSources: operation({
    input: struct({ autoScalingGroupName: req(str), trafficSources: req(list(TrafficSourceIdentifier)) }),
    output: Empty,
    support: "partial",
    notes: "Type elbv2 (target groups) only.",
    run: (input, { services }) => {
      services.groups.detachTargetGroups(input.autoScalingGroupName, targetGroupsOf(input.trafficSources));
      return {};
    },
  }),

  DescribeTrafficSources: operation({
    input: struct({ autoScalingGroupName: req(str), trafficSourceType: str, ...page }),
    output: struct({
      trafficSources: list(struct({ trafficSource: str, state: str, identifier: str, type: str })),
      nextToken: str,
    }),
    support: "partial",
    notes: "Type elbv2 (target groups) only.",
    run: (input, { services }) => {
      const all =
        input.trafficSourceType === undefined || input.trafficSourceType === "elbv2"
          ? describeTrafficSources(services, input.autoScalingGroupName)
          : [];
      const result = pageOfList(all, (s) => s.arn, {
        pageSize: pageSize(input.maxRecords, "MaxRecords", 50, 50),
        nextToken: input.nextToken,
      });
      return {
        trafficSources: result.items.map((s) => ({
          trafficSource: s.arn,
          identifier: s.arn,
          type: "elbv2",
          state: s.state,
        })),
        nextToken: result.nextToken,
      };
    },
  }),

  CreateOrUpdateTags: operation({
    input: struct({ tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.groups.createOrUpdate(input.tags);
      return undefined;
    },
  }),

  DescribeTags: operation({
    input: struct({ filters: list(Filter), ...page }),
    output: struct({ tags: list(TagDescription), nextToken: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.tagging.groups.describe({
        filters: input.filters,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      return { tags: result.items, nextToken: result.nextToken };
    },
  }),

  DeleteTags: operation({
    input: struct({ tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.tagging.groups.delete(input.tags);
      return undefined;
    },
  }),

  DescribeAccountLimits: operation({
    input: Empty,
    output: struct({
      maxNumberOfAutoScalingGroups: int,
      maxNumberOfLaunchConfigurations: int,
      numberOfAutoScalingGroups: int,
      numberOfLaunchConfigurations: int,
    }),
    support: "implemented",
    run: (_input, { services }) => services.instanceActions.autoScalingLimits(),
  }),
};

/** Codes Auto Scaling does not have: it answers ValidationError with the same sentence. */
const asValidationError = new Set([
  "AutoScalingGroupNotFound",
  "ScalingPolicyNotFound",
  "TargetGroupNotFound",
  "InvalidLaunchTemplateName.NotFoundException",
  "InvalidParameterValue",
  "MissingParameter",
]);

export const autoScaling: AwsService = {
  id: "autoscaling",
  title: "EC2 Auto Scaling",
  version: "2011-01-01",
  xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
  signingName: "autoscaling",
  wire: "query",
  operations,
  inputErrors: validationErrors,
  translate: (error: AwsError) => ({
    code: asValidationError.has(error.code) ? "ValidationError" : error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
  }),
};
