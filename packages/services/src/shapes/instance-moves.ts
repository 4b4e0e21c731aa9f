import { type Static, Type } from "@sinclair/typebox";

/*
 * Moving instances in and out of a group's service (standby, detach, attach), their scale-in protection,
 * and the group's suspended processes: the inputs both doors take, declared once.
 */

/** AWS: up to 20 instance ids of at most 19 characters. */
const InstanceIds = Type.Array(Type.String({ minLength: 1, maxLength: 19 }), { maxItems: 20 });

/** EnterStandby and DetachInstances. */
export const MoveOutOfService = Type.Object(
  {
    instanceIds: Type.Optional(InstanceIds),
    shouldDecrementDesiredCapacity: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type MoveOutOfService = Static<typeof MoveOutOfService>;

/** ExitStandby and AttachInstances. */
export const MoveIntoService = Type.Object(
  { instanceIds: Type.Optional(InstanceIds) },
  { additionalProperties: false },
);
export type MoveIntoService = Static<typeof MoveIntoService>;

export const SetInstanceProtection = Type.Object(
  { instanceIds: InstanceIds, protectedFromScaleIn: Type.Boolean() },
  { additionalProperties: false },
);
export type SetInstanceProtection = Static<typeof SetInstanceProtection>;

/** SuspendProcesses and ResumeProcesses: none named means every process. */
export const ScalingProcessList = Type.Object(
  { scalingProcesses: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }))) },
  { additionalProperties: false },
);
export type ScalingProcessList = Static<typeof ScalingProcessList>;

export const ProcessType = Type.Object({ processName: Type.String() });
export type ProcessType = Static<typeof ProcessType>;
