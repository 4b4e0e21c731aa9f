import { shapes } from "@scaleout/services";
import { deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { bool, list, req, str, struct } from "../shapes.ts";
import { page } from "./autoscaling-common.ts";

/* Instance refreshes over the Auto Scaling door; the worker's reconcile pass carries them out. */

const InstanceRefresh = deriveShape(shapes.InstanceRefresh);
const RefreshId = struct({ instanceRefreshId: str });
// StartInstanceRefresh's members one by one: deriving the whole input is too deep for the compiler.
const DesiredConfiguration = deriveShape(shapes.DesiredConfiguration);
const Preferences = deriveShape(shapes.RefreshPreferences);

export const refreshOperations = {
  StartInstanceRefresh: operation({
    input: struct({
      autoScalingGroupName: req(str),
      strategy: str,
      desiredConfiguration: DesiredConfiguration,
      preferences: Preferences,
    }),
    output: RefreshId,
    support: "implemented",
    notes:
      "Strategy Rolling. DesiredConfiguration takes a LaunchTemplate (no MixedInstancesPolicy). Replacements are healthy (ELB when the group uses it) and warmed before the next batch; old instances drain from their target groups first.",
    run: (input, { services }) =>
      services.instanceRefreshes.start(input.autoScalingGroupName, {
        strategy: input.strategy,
        desiredConfiguration: input.desiredConfiguration,
        preferences: input.preferences,
      }),
  }),

  DescribeInstanceRefreshes: operation({
    input: struct({ autoScalingGroupName: req(str), instanceRefreshIds: list(str), ...page }),
    output: struct({ instanceRefreshes: list(InstanceRefresh), nextToken: str }),
    support: "implemented",
    notes: "Newest first. ProgressDetails has LivePoolProgress only.",
    run: (input, { services }) => {
      const result = services.instanceRefreshes.describe(input.autoScalingGroupName, {
        instanceRefreshIds: input.instanceRefreshIds,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
      });
      return { instanceRefreshes: result.items, nextToken: result.nextToken };
    },
  }),

  CancelInstanceRefresh: operation({
    input: struct({ autoScalingGroupName: req(str), waitForTransitioningInstances: bool }),
    output: RefreshId,
    support: "implemented",
    notes:
      "Instances already launching finish first (WaitForTransitioningInstances true); nothing is rolled back.",
    run: (input, { services }) => services.instanceRefreshes.cancel(input.autoScalingGroupName),
  }),

  RollbackInstanceRefresh: operation({
    input: struct({ autoScalingGroupName: req(str) }),
    output: RefreshId,
    support: "implemented",
    run: (input, { services }) => services.instanceRefreshes.rollback(input.autoScalingGroupName),
  }),
};
