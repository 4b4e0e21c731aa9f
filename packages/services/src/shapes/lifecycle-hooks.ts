import { type Static, Type } from "@sinclair/typebox";
import { StringEnum } from "./common.ts";

/* Lifecycle hooks and their actions, declared once for both doors and the services. */

const Transition = StringEnum(["autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]);
const Result = StringEnum(["CONTINUE", "ABANDON"]);

/** What PutLifecycleHook sets besides the group and hook names (every member optional on an update). */
export const LifecycleHookFields = {
  lifecycleTransition: Type.Optional(Transition),
  roleARN: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  notificationTargetARN: Type.Optional(Type.String({ maxLength: 255 })),
  notificationMetadata: Type.Optional(Type.String({ minLength: 1, maxLength: 1023 })),
  heartbeatTimeout: Type.Optional(
    Type.Integer({
      description: "Seconds, 30 to 7200 (fast mode: from 1); default 3600",
    }),
  ),
  defaultResult: Type.Optional(Result),
};

export const PutLifecycleHook = Type.Object(LifecycleHookFields, { additionalProperties: false });
export type PutLifecycleHook = Static<typeof PutLifecycleHook>;

/** CreateAutoScalingGroup's LifecycleHookSpecificationList: hooks that hold the group's first instances too. */
export const LifecycleHookSpecification = Type.Object(
  {
    lifecycleHookName: Type.String({ minLength: 1, maxLength: 255 }),
    ...LifecycleHookFields,
    lifecycleTransition: Transition,
  },
  { additionalProperties: false },
);
export type LifecycleHookSpecification = Static<typeof LifecycleHookSpecification>;

export const LifecycleHook = Type.Object(
  {
    lifecycleHookName: Type.String(),
    autoScalingGroupName: Type.String(),
    lifecycleTransition: Type.String(),
    notificationTargetARN: Type.Optional(Type.String()),
    roleARN: Type.Optional(Type.String()),
    notificationMetadata: Type.Optional(Type.String()),
    heartbeatTimeout: Type.Integer(),
    globalTimeout: Type.Integer({ description: "min(100 × HeartbeatTimeout, 172800) seconds" }),
    defaultResult: Type.String(),
  },
  { $id: "LifecycleHook" },
);
export type LifecycleHook = Static<typeof LifecycleHook>;

/** Which action CompleteLifecycleAction and RecordLifecycleActionHeartbeat mean: its token or its instance. */
const ActionRef = {
  lifecycleActionToken: Type.Optional(Type.String({ minLength: 36, maxLength: 36 })),
  instanceId: Type.Optional(Type.String({ minLength: 1, maxLength: 19 })),
};

export const CompleteLifecycleAction = Type.Object(
  { ...ActionRef, lifecycleActionResult: Result },
  { additionalProperties: false },
);
export type CompleteLifecycleAction = Static<typeof CompleteLifecycleAction>;

export const LifecycleActionHeartbeat = Type.Object(ActionRef, { additionalProperties: false });
export type LifecycleActionHeartbeat = Static<typeof LifecycleActionHeartbeat>;

/** An action an instance waits on (scaleout's REST view; AWS lists none). */
export const LifecycleAction = Type.Object(
  {
    lifecycleActionToken: Type.String(),
    autoScalingGroupName: Type.String(),
    lifecycleHookName: Type.String(),
    instanceId: Type.String(),
    lifecycleTransition: Type.String(),
    startTime: Type.String({ format: "date-time" }),
    heartbeatDeadline: Type.String({ format: "date-time" }),
    globalDeadline: Type.String({ format: "date-time" }),
    result: Type.Optional(Type.String()),
  },
  { $id: "LifecycleAction" },
);
export type LifecycleAction = Static<typeof LifecycleAction>;
