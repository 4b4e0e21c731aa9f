import { type Db, schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { type Announcements, iso } from "./context.ts";

/*
 * The instance events EventBridge delivers when a launch or a termination ends ("EC2 Instance Launch
 * Successful", "... Unsuccessful", "EC2 Instance Terminate Successful"), built from the activity that
 * recorded it, for the events stream.
 */

const { scalingActivities, autoScalingGroups } = schema;

export type InstanceEventType =
  | "EC2 Instance Launch Successful"
  | "EC2 Instance Launch Unsuccessful"
  | "EC2 Instance Terminate Successful"
  | "EC2 Instance Terminate Unsuccessful";

/** Announces the event of an ended activity (nothing when the activity or its group is gone). */
export function announceActivityEvent(
  db: Db | Tx,
  announce: Announcements,
  activityId: string,
  instanceId: string,
  detailType: InstanceEventType,
): void {
  const activity = db.select().from(scalingActivities).where(eq(scalingActivities.id, activityId)).get();
  if (!activity) return;
  const group = db
    .select({ arn: autoScalingGroups.arn })
    .from(autoScalingGroups)
    .where(eq(autoScalingGroups.name, activity.groupName))
    .get();
  if (!group) return;
  // arn:aws:autoscaling:<region>:<account>:autoScalingGroup:...: the instance lives in the same place.
  const [, , , region, account] = group.arn.split(":");
  const launching = detailType.startsWith("EC2 Instance Launch");
  announce.events.push({
    "detail-type": detailType,
    source: "aws.autoscaling",
    resources: [group.arn, `arn:aws:ec2:${region}:${account}:instance/${instanceId}`],
    detail: {
      StatusCode: activity.statusCode,
      AutoScalingGroupName: activity.groupName,
      ActivityId: activity.id,
      Details: activity.details,
      RequestId: activity.id,
      StatusMessage: activity.statusMessage ?? "",
      EndTime: iso(activity.endTime ?? activity.startTime),
      EC2InstanceId: instanceId,
      StartTime: iso(activity.startTime),
      Cause: activity.cause,
      Description: activity.description,
      Origin: launching ? "EC2" : "AutoScalingGroup",
      Destination: launching ? "AutoScalingGroup" : "EC2",
    },
  });
}
