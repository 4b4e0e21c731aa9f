import { type Static, Type } from "@sinclair/typebox";
import { StringEnum, Timestamp } from "./common.ts";
import { LaunchTemplateRef, LaunchTemplateSpec } from "./launch-templates.ts";

/* An instance refresh's shapes (botocore autoscaling StartInstanceRefresh / InstanceRefresh), declared once. */

export const RefreshPreferences = Type.Object(
  {
    minHealthyPercentage: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    maxHealthyPercentage: Type.Optional(Type.Integer({ minimum: 100, maximum: 200 })),
    instanceWarmup: Type.Optional(Type.Integer({ minimum: 0 })),
    checkpointPercentages: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 100 }))),
    checkpointDelay: Type.Optional(Type.Integer({ minimum: 0, maximum: 172800 })),
    skipMatching: Type.Optional(Type.Boolean()),
    autoRollback: Type.Optional(Type.Boolean()),
    scaleInProtectedInstances: Type.Optional(StringEnum(["Refresh", "Ignore", "Wait"])),
    standbyInstances: Type.Optional(StringEnum(["Terminate", "Ignore", "Wait"])),
    alarmSpecification: Type.Optional(
      Type.Object(
        { alarms: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }))) },
        { additionalProperties: false },
      ),
    ),
    bakeTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 172800 })),
  },
  { additionalProperties: false },
);
export type RefreshPreferences = Static<typeof RefreshPreferences>;

export const DesiredConfiguration = Type.Object(
  { launchTemplate: Type.Optional(LaunchTemplateSpec) },
  { additionalProperties: false },
);
export type DesiredConfiguration = Static<typeof DesiredConfiguration>;

export const StartInstanceRefresh = Type.Object(
  {
    strategy: Type.Optional(
      Type.String({ description: "Rolling (the default; ReplaceRootVolume is not supported)" }),
    ),
    desiredConfiguration: Type.Optional(DesiredConfiguration),
    preferences: Type.Optional(RefreshPreferences),
  },
  { additionalProperties: false },
);
export type StartInstanceRefresh = Static<typeof StartInstanceRefresh>;

const Progress = Type.Object({
  percentageComplete: Type.Integer(),
  instancesToUpdate: Type.Integer(),
});
const ProgressDetails = Type.Object({ livePoolProgress: Type.Optional(Progress) });

export const RollbackDetails = Type.Object({
  rollbackReason: Type.Optional(Type.String()),
  rollbackStartTime: Type.Optional(Timestamp()),
  percentageCompleteOnRollback: Type.Optional(Type.Integer()),
  instancesToUpdateOnRollback: Type.Optional(Type.Integer()),
  progressDetailsOnRollback: Type.Optional(ProgressDetails),
});

export const InstanceRefresh = Type.Object({
  instanceRefreshId: Type.String(),
  autoScalingGroupName: Type.String(),
  status: Type.String(),
  statusReason: Type.Optional(Type.String()),
  startTime: Type.Optional(Timestamp()),
  endTime: Type.Optional(Timestamp()),
  percentageComplete: Type.Integer(),
  instancesToUpdate: Type.Integer(),
  progressDetails: ProgressDetails,
  preferences: RefreshPreferences,
  desiredConfiguration: Type.Optional(Type.Object({ launchTemplate: Type.Optional(LaunchTemplateRef) })),
  rollbackDetails: Type.Optional(RollbackDetails),
  strategy: Type.String(),
});
export type InstanceRefresh = Static<typeof InstanceRefresh>;

export const InstanceRefreshId = Type.Object({ instanceRefreshId: Type.String() });
