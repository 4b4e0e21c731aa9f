import type { ActivityStatus } from "@scaleout/core";
import { newUuid } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { iso } from "./context.ts";
import type { Activity } from "./shapes/activities.ts";

const { scalingActivities } = schema;
type Row = typeof scalingActivities.$inferSelect;

export function toActivity(row: Row): Activity {
  return {
    activityId: row.id,
    autoScalingGroupName: row.groupName,
    description: row.description,
    cause: row.cause,
    startTime: iso(row.startTime),
    ...(row.endTime !== null && { endTime: iso(row.endTime) }),
    statusCode: row.statusCode as ActivityStatus,
    ...(row.statusMessage !== null && { statusMessage: row.statusMessage }),
    progress: row.progress,
    // AWS answers Details as a JSON string.
    details: JSON.stringify(row.details),
  };
}

export function startActivity(
  db: Db | Tx,
  activity: {
    groupName: string;
    description: string;
    cause: string;
    details?: Record<string, string>;
    now: number;
    statusCode?: ActivityStatus;
  },
): string {
  const id = newUuid();
  db.insert(scalingActivities)
    .values({
      id,
      groupName: activity.groupName,
      description: activity.description,
      cause: activity.cause,
      details: activity.details ?? {},
      statusCode: activity.statusCode ?? "InProgress",
      statusMessage: null,
      progress: activity.statusCode === "Successful" ? 100 : 0,
      startTime: activity.now,
      endTime: activity.statusCode === "Successful" || activity.statusCode === "Failed" ? activity.now : null,
    })
    .run();
  return id;
}

export function updateActivity(
  db: Db | Tx,
  id: string,
  update: {
    statusCode: ActivityStatus;
    progress?: number;
    statusMessage?: string;
    description?: string;
    now: number;
  },
): void {
  const done =
    update.statusCode === "Successful" || update.statusCode === "Failed" || update.statusCode === "Cancelled";
  db.update(scalingActivities)
    .set({
      statusCode: update.statusCode,
      progress: update.progress ?? (done ? 100 : undefined),
      ...(update.statusMessage !== undefined && { statusMessage: update.statusMessage }),
      ...(update.description !== undefined && { description: update.description }),
      ...(done && { endTime: update.now }),
    })
    .where(eq(scalingActivities.id, id))
    .run();
}
