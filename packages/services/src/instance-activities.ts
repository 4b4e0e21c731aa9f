import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, isNull } from "drizzle-orm";
import { isoSeconds } from "./context.ts";

/*
 * The scaling activities that record an instance's launch and termination: AWS's descriptions and cause
 * sentences, and the lookup of an activity that has not ended yet (the step that ends it finds it by its
 * description).
 */

const { instances, scalingActivities } = schema;
type InstanceRow = typeof instances.$inferSelect;

/** AWS's activity sentences for what the reconciler does; a cause starts with the group's capacityCause. */
export const activityCauses = {
  launch: (at: number, from: number, to: number) =>
    `At ${isoSeconds(at)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${from} to ${to}.`,
  scaleIn: (at: number, from: number, to: number, instanceId: string) =>
    `At ${isoSeconds(at)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${from} to ${to}.  At ${isoSeconds(at)} instance ${instanceId} was selected for termination.`,
  ec2Health: (at: number) =>
    `At ${isoSeconds(at)} an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.`,
  elbHealth: (at: number) =>
    `At ${isoSeconds(at)} an instance was taken out of service in response to an ELB system health check failure.`,
  /** The capacity change that asked for this activity, then what the activity did, two spaces apart. */
  join: (capacityCause: string | null, sentence: string) =>
    capacityCause ? `${capacityCause}  ${sentence}` : sentence,
};

export const launchDescription = (instanceId: string) => `Launching a new EC2 instance: ${instanceId}`;
/** A launch that takes a prepared instance from the warm pool (warm-pool-instances.ts starts it). */
export const fromWarmPoolDescription = (instanceId: string) =>
  `Launching a new EC2 instance from warm pool: ${instanceId}`;
export const terminateDescription = (instanceId: string) => `Terminating EC2 instance: ${instanceId}`;

/** The activity of this description that has not ended yet. */
export function openActivity(db: Db | Tx, groupName: string, description: string) {
  return db
    .select()
    .from(scalingActivities)
    .where(
      and(
        eq(scalingActivities.groupName, groupName),
        eq(scalingActivities.description, description),
        isNull(scalingActivities.endTime),
      ),
    )
    .get();
}

/** A Pending instance's open launch activity: a cold launch's, or one taken from the warm pool's. */
export function openLaunchActivity(db: Db | Tx, row: InstanceRow) {
  return (
    openActivity(db, row.groupName, launchDescription(row.id)) ??
    openActivity(db, row.groupName, fromWarmPoolDescription(row.id))
  );
}
