import { schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { updateActivity } from "./activities.ts";
import type { Announcements } from "./context.ts";
import { openActivity, openLaunchActivity } from "./instance-activities.ts";
import { announceActivityEvent } from "./instance-events.ts";
import { intoServiceDescriptions } from "./instance-moves.ts";
import { registerTarget } from "./instance-targets.ts";
import { addToLoadBalancerSuspended } from "./scaling-processes.ts";

const { autoScalingGroups, groupTargetGroups, instances, targetGroups } = schema;
type InstanceRow = typeof instances.$inferSelect;

/**
 * An instance whose launch is done (and whose hooks, if any, all continued) goes InService: registered in
 * each of the group's target groups, its launch activity Successful, the group's cooldown from now.
 */
export function putInService(tx: Tx, announce: Announcements, row: InstanceRow, now: number): InstanceRow {
  // With AddToLoadBalancer suspended the instance is not registered, and syncTargets leaves it so after
  // the process resumes, as AWS does.
  const skip = addToLoadBalancerSuspended(tx, row.groupName);
  const next: InstanceRow = {
    ...row,
    lifecycleState: "InService",
    inServiceAt: now,
    registrationSkipped: skip,
  };
  tx.update(instances).set(next).where(eq(instances.id, row.id)).run();
  if (!skip) {
    const attached = tx
      .select({ targetGroup: targetGroups })
      .from(groupTargetGroups)
      .innerJoin(targetGroups, eq(targetGroups.arn, groupTargetGroups.targetGroupArn))
      .where(eq(groupTargetGroups.groupName, row.groupName))
      .all();
    for (const { targetGroup } of attached) registerTarget(tx, targetGroup, next, now);
  }
  const activity = openLaunchActivity(tx, row);
  if (activity) {
    updateActivity(tx, activity.id, { statusCode: "Successful", progress: 100, now });
    announceActivityEvent(tx, announce, activity.id, row.id, "EC2 Instance Launch Successful");
  }
  // ExitStandby's and AttachInstances' activities also end when the instance goes InService.
  for (const description of intoServiceDescriptions(row.id)) {
    const moved = openActivity(tx, row.groupName, description);
    if (moved) updateActivity(tx, moved.id, { statusCode: "Successful", progress: 100, now });
  }
  tx.update(autoScalingGroups)
    .set({ lastScalingEndedAt: now })
    .where(eq(autoScalingGroups.name, row.groupName))
    .run();
  return next;
}
