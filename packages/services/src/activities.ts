import type { ActivityStatus } from "@scaleout/core";
import { checkPageSize, decodeToken, encodeToken, newUuid, type Page } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import { recordActivityStart } from "./activity-starts.ts";
import { iso, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
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
  tx: Tx,
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
  tx.insert(scalingActivities)
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
  recordActivityStart(tx, {
    activityId: id,
    groupName: activity.groupName,
    description: activity.description,
    cause: activity.cause,
  });
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

/** The activities of a group, or of all groups, for DescribeScalingActivities. */
export function activityService(ctx: ServiceContext) {
  return {
    /** Newest first, as DescribeScalingActivities answers. */
    activities(
      name: string | undefined,
      options: { activityIds?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<Activity> {
      const pageSize = checkPageSize(options.pageSize);
      if (name !== undefined) findGroup(ctx.db, name);
      const after = decodeToken(options.nextToken);
      const cursor = after === undefined ? undefined : (JSON.parse(after) as { t: number; id: string });
      const rows = ctx.db
        .select()
        .from(scalingActivities)
        .where(
          and(
            name === undefined ? undefined : eq(scalingActivities.groupName, name),
            options.activityIds?.length ? inArray(scalingActivities.id, options.activityIds) : undefined,
            cursor === undefined
              ? undefined
              : or(
                  lt(scalingActivities.startTime, cursor.t),
                  and(eq(scalingActivities.startTime, cursor.t), lt(scalingActivities.id, cursor.id)),
                ),
          ),
        )
        .orderBy(desc(scalingActivities.startTime), desc(scalingActivities.id))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map(toActivity),
        ...(rows.length > pageSize &&
          last && { nextToken: encodeToken(JSON.stringify({ t: last.startTime, id: last.id })) }),
      };
    },
  };
}
