import { shapes } from "@scaleout/services";
import { deriveShape } from "../derive-shape.ts";
import { type Call, operation, pageSize, validationErrors } from "../operation.ts";
import { bool, list, req, str, struct, unsupported } from "../shapes.ts";
import { page } from "./autoscaling-common.ts";

/* A group's instances and its scaling activities over the Auto Scaling door. */

const Instance = deriveShape(shapes.InstanceSummary);
const Activity = deriveShape(shapes.Activity);

function terminate(call: Call, instanceId: string, decrement: boolean) {
  return call.services.instanceActions.terminate(instanceId, { shouldDecrementDesiredCapacity: decrement });
}

export const instanceOperations = {
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
};
