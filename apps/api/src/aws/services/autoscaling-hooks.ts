import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation } from "../operation.ts";
import { list, req, str, struct } from "../shapes.ts";

/* Lifecycle hooks and their actions over the Auto Scaling door (botocore autoscaling 2011-01-01). */

const LifecycleHook = deriveShape(shapes.LifecycleHook);
const HookRef = { autoScalingGroupName: req(str), lifecycleHookName: req(str) };

export const hookOperations = {
  PutLifecycleHook: operation({
    input: struct({ ...HookRef, ...deriveMembers(shapes.PutLifecycleHook) }),
    output: struct({}),
    support: "implemented",
    notes:
      "Notifications go to scaleout's events stream (GET /v1/events) with EventBridge's JSON; NotificationTargetARN and RoleARN are stored, nothing is sent to SQS or SNS. Fast mode accepts HeartbeatTimeout from 1 s.",
    run: (input, { services }) => {
      const { autoScalingGroupName, lifecycleHookName, ...fields } = input;
      services.lifecycleHooks.put(autoScalingGroupName, lifecycleHookName, fields);
      return {};
    },
  }),

  DescribeLifecycleHooks: operation({
    input: struct({ autoScalingGroupName: req(str), lifecycleHookNames: list(str) }),
    output: struct({ lifecycleHooks: list(LifecycleHook) }),
    support: "implemented",
    run: (input, { services }) => ({
      lifecycleHooks: services.lifecycleHooks.describe(input.autoScalingGroupName, input.lifecycleHookNames),
    }),
  }),

  DeleteLifecycleHook: operation({
    input: struct(HookRef),
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      services.lifecycleHooks.delete(input.autoScalingGroupName, input.lifecycleHookName);
      return {};
    },
  }),

  DescribeLifecycleHookTypes: operation({
    input: struct({}),
    output: struct({ lifecycleHookTypes: list(str) }),
    support: "implemented",
    run: (_input, { services }) => ({ lifecycleHookTypes: services.lifecycleHooks.types() }),
  }),

  CompleteLifecycleAction: operation({
    input: struct({ ...HookRef, ...deriveMembers(shapes.CompleteLifecycleAction) }),
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      const { autoScalingGroupName, lifecycleHookName, ...action } = input;
      services.lifecycleHooks.complete(autoScalingGroupName, lifecycleHookName, action);
      return {};
    },
  }),

  RecordLifecycleActionHeartbeat: operation({
    input: struct({ ...HookRef, ...deriveMembers(shapes.LifecycleActionHeartbeat) }),
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      const { autoScalingGroupName, lifecycleHookName, ...action } = input;
      services.lifecycleHooks.heartbeat(autoScalingGroupName, lifecycleHookName, action);
      return {};
    },
  }),
};
