import { type Static, Type } from "@sinclair/typebox";
import { Timestamp } from "./common.ts";

/* A scheduled action's shapes (PutScheduledUpdateGroupAction and its kin), declared once for both doors. */

const name = Type.String({ minLength: 1, maxLength: 255 });

/** What one action sets and when: a ScheduledUpdateGroupActionRequest. */
export const ScheduledActionSettings = Type.Object(
  {
    startTime: Type.Optional(
      Timestamp({ description: "A one-time action's time, or a recurrence's first run" }),
    ),
    endTime: Type.Optional(Timestamp({ description: "A recurrence stops after this time" })),
    recurrence: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: "Unix cron: [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]",
      }),
    ),
    minSize: Type.Optional(Type.Integer({ minimum: 0 })),
    maxSize: Type.Optional(Type.Integer({ minimum: 0 })),
    desiredCapacity: Type.Optional(Type.Integer({ minimum: 0 })),
    timeZone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: "IANA name; the recurrence's, UTC by default",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ScheduledActionSettings = Static<typeof ScheduledActionSettings>;

export const ScheduledActionRequest = Type.Object(
  { scheduledActionName: name, ...ScheduledActionSettings.properties },
  { additionalProperties: false },
);
export type ScheduledActionRequest = Static<typeof ScheduledActionRequest>;

/** A scheduled action as DescribeScheduledActions shows it (ScheduledUpdateGroupAction). */
export const ScheduledAction = Type.Object({
  autoScalingGroupName: Type.String(),
  scheduledActionName: Type.String(),
  scheduledActionARN: Type.String(),
  time: Type.Optional(Timestamp({ description: "Deprecated: the same as startTime" })),
  startTime: Type.Optional(Timestamp({ description: "When it runs next" })),
  endTime: Type.Optional(Timestamp()),
  recurrence: Type.Optional(Type.String()),
  minSize: Type.Optional(Type.Integer()),
  maxSize: Type.Optional(Type.Integer()),
  desiredCapacity: Type.Optional(Type.Integer()),
  timeZone: Type.Optional(Type.String()),
});
export type ScheduledAction = Static<typeof ScheduledAction>;

/** One action a batch put or delete could not apply, with AWS's error code. */
export const FailedScheduledAction = Type.Object({
  scheduledActionName: Type.String(),
  errorCode: Type.Optional(Type.String()),
  errorMessage: Type.Optional(Type.String()),
});
export type FailedScheduledAction = Static<typeof FailedScheduledAction>;
