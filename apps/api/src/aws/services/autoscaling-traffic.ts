import type { Services } from "@scaleout/services";
import { operation, pageOfList, pageSize } from "../operation.ts";
import { bool, list, req, str, struct } from "../shapes.ts";
import { Empty, page, TrafficSourceIdentifier, targetGroupsOf } from "./autoscaling-common.ts";

/* A group's target groups (traffic sources of type elbv2) over the Auto Scaling door. */

function describeTrafficSources(services: Services, groupName: string) {
  const group = services.groups.get(groupName);
  // A target group is InService once the group has an instance in service (registered by the reconciler).
  const state = group.instances.some((i) => i.lifecycleState === "InService") ? "InService" : "Added";
  return group.targetGroupARNs.map((arn) => ({ arn, state }));
}

export const trafficOperations = {
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
};
