import { operation } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";
import { Empty } from "./autoscaling-common.ts";

/* Group metrics and the small describes of Auto Scaling's fixed vocabularies over the Auto Scaling door. */

export const groupMetricOperations = {
  EnableMetricsCollection: operation({
    input: struct({ autoScalingGroupName: req(str), metrics: list(str), granularity: req(str) }),
    output: undefined,
    support: "implemented",
    notes:
      "The worker publishes the enabled AWS/AutoScaling metrics every second (not every minute) for GetMetricStatistics, ListMetrics and alarms.",
    run: (input, { services }) => {
      services.groupMetrics.enable(input.autoScalingGroupName, input);
      return undefined;
    },
  }),

  DisableMetricsCollection: operation({
    input: struct({ autoScalingGroupName: req(str), metrics: list(str) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.groupMetrics.disable(input.autoScalingGroupName, input);
      return undefined;
    },
  }),

  DescribeMetricCollectionTypes: operation({
    input: Empty,
    output: struct({
      metrics: list(struct({ metric: str })),
      granularities: list(struct({ granularity: str })),
    }),
    support: "implemented",
    run: (_input, { services }) => services.groupMetrics.collectionTypes(),
  }),

  DescribeAdjustmentTypes: operation({
    input: Empty,
    output: struct({ adjustmentTypes: list(struct({ adjustmentType: str })) }),
    support: "implemented",
    run: (_input, { services }) => ({ adjustmentTypes: services.groupMetrics.adjustmentTypes() }),
  }),

  DescribeTerminationPolicyTypes: operation({
    input: Empty,
    output: struct({ terminationPolicyTypes: list(str) }),
    support: "implemented",
    run: (_input, { services }) => ({
      terminationPolicyTypes: services.groupMetrics.terminationPolicyTypes(),
    }),
  }),
};
