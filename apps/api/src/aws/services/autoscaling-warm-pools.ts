import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { bool, req, str, struct } from "../shapes.ts";
import { Empty, page } from "./autoscaling-common.ts";

/* Warm pools over the Auto Scaling door: PutWarmPool, DescribeWarmPool, DeleteWarmPool. */

const groupName = { autoScalingGroupName: req(str) };

export const warmPoolOperations = {
  PutWarmPool: operation({
    input: struct({ ...groupName, ...deriveMembers(shapes.PutWarmPool) }),
    output: Empty,
    support: "implemented",
    notes:
      "Stopped pools park instances (docker: a stopped container; process: SIGSTOP); Hibernated pauses a container (process: SIGSTOP).",
    run: (input, { services }) => {
      const { autoScalingGroupName, ...pool } = input;
      services.warmPools.put(autoScalingGroupName, pool);
      return {};
    },
  }),

  DescribeWarmPool: operation({
    input: struct({ ...groupName, ...page }),
    output: deriveShape(shapes.WarmPool),
    support: "implemented",
    run: (input, { services }) =>
      services.warmPools.describe(input.autoScalingGroupName, {
        pageSize: pageSize(input.maxRecords, "MaxRecords", 50, 50),
        nextToken: input.nextToken,
      }),
  }),

  DeleteWarmPool: operation({
    input: struct({ ...groupName, forceDelete: bool }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.warmPools.delete(input.autoScalingGroupName, { forceDelete: input.forceDelete });
      return {};
    },
  }),
};
