import { Errors } from "@scaleout/core";
import { type AutoScalingGroup as GroupView, shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { bool, int, list, req, str, struct, unsupported } from "../shapes.ts";
import { Filter, page, Tag, TrafficSourceIdentifier, targetGroupsOf } from "./autoscaling-common.ts";

/* Groups over the Auto Scaling door: their members come from the services' declarations. */

const AutoScalingGroup = deriveShape(shapes.AutoScalingGroup);

const GroupSettings = {
  launchConfigurationName: unsupported(
    "Launch configurations are not supported by scaleout: use LaunchTemplate (EC2 CreateLaunchTemplate)",
  ),
  ...deriveMembers(shapes.UpdateGroup),
  mixedInstancesPolicy: unsupported("MixedInstancesPolicy is not supported by scaleout: use LaunchTemplate"),
  placementGroup: str,
  capacityRebalance: bool,
};

const ignoredPlacement =
  "AvailabilityZones, VPCZoneIdentifier, PlacementGroup and CapacityRebalance are accepted and ignored: instances run on this machine.";

function groupOut(group: GroupView) {
  // Subnets are not kept (placement is ignored): AWS leaves the member out when there are none.
  return {
    ...group,
    vpcZoneIdentifier: group.vpcZoneIdentifier === "" ? undefined : group.vpcZoneIdentifier,
  };
}

const CreateGroupInput = struct({
  autoScalingGroupName: req(str),
  ...GroupSettings,
  minSize: req(int),
  maxSize: req(int),
  instanceId: unsupported("Creating a group from an instance (InstanceId) is not supported by scaleout"),
  loadBalancerNames: list(str),
  targetGroupARNs: list(str),
  lifecycleHookSpecificationList: list(deriveShape(shapes.LifecycleHookSpecification)),
  tags: list(Tag),
  trafficSources: list(TrafficSourceIdentifier),
});

const UpdateGroupInput = struct({ autoScalingGroupName: req(str), ...GroupSettings });

export const groupOperations = {
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
      return {
        autoScalingGroups: result.items.map(groupOut),
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
};
