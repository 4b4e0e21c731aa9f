import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";
import { Empty } from "./autoscaling-common.ts";

/* A group's scaling processes over the Auto Scaling door: SuspendProcesses, ResumeProcesses, their types. */

const ProcessType = deriveShape(shapes.ProcessType);
const Input = struct({ autoScalingGroupName: req(str), ...deriveMembers(shapes.ScalingProcessList) });

export const processOperations = {
  DescribeScalingProcessTypes: operation({
    input: Empty,
    output: struct({ processes: list(ProcessType) }),
    support: "implemented",
    run: (_input, { services }) => ({ processes: services.scalingProcesses.types() }),
  }),

  ResumeProcesses: operation({
    input: Input,
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.scalingProcesses.resume(input.autoScalingGroupName, input);
      return undefined;
    },
  }),

  SuspendProcesses: operation({
    input: Input,
    output: undefined,
    support: "implemented",
    notes:
      "Each process really stops: Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer, AlarmNotification, ScheduledActions, InstanceRefresh. AZRebalance is accepted and has nothing to do (one availability zone).",
    run: (input, { services }) => {
      services.scalingProcesses.suspend(input.autoScalingGroupName, input);
      return undefined;
    },
  }),
};
