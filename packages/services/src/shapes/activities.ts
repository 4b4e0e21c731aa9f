import { type Static, Type } from "@sinclair/typebox";
import { Timestamp } from "./common.ts";

/* A scaling activity, as both doors describe it. */

export const Activity = Type.Object(
  {
    activityId: Type.String(),
    autoScalingGroupName: Type.String(),
    description: Type.String(),
    cause: Type.String(),
    startTime: Timestamp(),
    endTime: Type.Optional(Timestamp()),
    statusCode: Type.String(),
    statusMessage: Type.Optional(Type.String()),
    progress: Type.Integer(),
    details: Type.String(),
  },
  { $id: "Activity" },
);
export type Activity = Static<typeof Activity>;
