import { check, checkOneOf, Errors, isSuspended } from "@scaleout/core";
import { schema, type Tx } from "@scaleout/db";
import { and, eq, sql } from "drizzle-orm";
import { startActivity, toActivity } from "./activities.ts";
import { type Announcements, isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity } from "./group-capacity.ts";
import { findGroup } from "./group-view.ts";
import { maxRulesPerListener } from "./rules.ts";
import type { Activity } from "./shapes/activities.ts";
import { maxTargetsPerGroup } from "./target-groups.ts";

/*
 * What a user may do to one instance of a group: TerminateInstanceInAutoScalingGroup and
 * SetInstanceHealth. Both only mark the row Terminating (the reconciler's own first step is the same) and
 * announce the group: the worker deregisters the instance from its target groups, waits for draining,
 * stops it, closes the activity opened here, and launches a replacement when the desired capacity asks
 * for one.
 */

const { instances, scalingActivities, autoScalingGroups } = schema;
type InstanceRow = typeof instances.$inferSelect;

/** The activity the reconciler also names, so it completes this one when the instance has stopped. */
const terminateDescription = (instanceId: string) => `Terminating EC2 instance: ${instanceId}`;

function findManagedInstance(tx: Tx, instanceId: string): InstanceRow {
  const row = tx.select().from(instances).where(eq(instances.id, instanceId)).get();
  if (!row || row.lifecycleState === "Terminated") {
    throw new Errors.ValidationError(
      `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
    );
  }
  return row;
}

function openTermination(tx: Tx, row: InstanceRow) {
  return tx
    .select()
    .from(scalingActivities)
    .where(
      and(
        eq(scalingActivities.groupName, row.groupName),
        eq(scalingActivities.description, terminateDescription(row.id)),
        sql`${scalingActivities.statusCode} not in ('Successful', 'Failed', 'Cancelled')`,
      ),
    )
    .get();
}

/** Takes the instance out of service and opens the activity the reconciler will finish. */
function beginUserTermination(
  ctx: ServiceContext,
  tx: Tx,
  announce: Announcements,
  row: InstanceRow,
  cause: string,
  reason: string,
  health?: "Unhealthy",
): Activity {
  const now = ctx.now();
  tx.update(instances)
    .set({
      lifecycleState: "Terminating",
      terminatingAt: row.terminatingAt ?? now,
      ...(health && { healthStatus: health }),
    })
    .where(eq(instances.id, row.id))
    .run();
  const id = startActivity(tx, {
    groupName: row.groupName,
    description: terminateDescription(row.id),
    cause,
    details: { "Subnet ID": "subnet-local", "Availability Zone": row.availabilityZone },
    now,
  });
  announce.groups.push({ name: row.groupName, reason });
  const activity = tx.select().from(scalingActivities).where(eq(scalingActivities.id, id)).get();
  if (!activity) throw new Error(`activity ${id} vanished inside its own transaction`);
  return toActivity(activity);
}

export function instanceActionService(ctx: ServiceContext) {
  return {
    /**
     * TerminateInstanceInAutoScalingGroup. With `shouldDecrementDesiredCapacity` the group shrinks by one
     * (never below its minimum); without, the reconciler launches a replacement. An instance already
     * terminating answers its open activity.
     */
    terminate(
      instanceId: string | undefined,
      options: { shouldDecrementDesiredCapacity?: boolean },
    ): Activity {
      check(instanceId !== undefined, "InstanceId is required");
      check(
        options.shouldDecrementDesiredCapacity !== undefined,
        "ShouldDecrementDesiredCapacity is required",
      );
      const decrement = options.shouldDecrementDesiredCapacity;
      return mutate(ctx, (tx, announce) => {
        const row = findManagedInstance(tx, instanceId);
        if (row.lifecycleState === "Terminating") {
          const open = openTermination(tx, row);
          if (open) return toActivity(open);
        }
        const group = findGroup(tx, row.groupName);
        const at = isoSeconds(ctx.now());
        let cause = `At ${at} instance ${row.id} was taken out of service in response to a user request.`;
        if (decrement && row.lifecycleState !== "Terminating") {
          const to = group.desiredCapacity - 1;
          if (to < group.minSize) {
            throw new Errors.ValidationError(
              `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
            );
          }
          cause = `At ${at} instance ${row.id} was taken out of service in response to a user request, shrinking the capacity from ${group.desiredCapacity} to ${to}.`;
          changeDesiredCapacity(tx, announce, group, to, () => cause);
        }
        return beginUserTermination(ctx, tx, announce, row, cause, "instance terminated by a user request");
      });
    },

    /**
     * SetInstanceHealth. Unhealthy takes the instance out of service and the reconciler replaces it (the
     * desired capacity stays), as AWS does; within the group's health check grace period the call is
     * ignored unless `shouldRespectGracePeriod` is false.
     */
    setHealth(
      instanceId: string | undefined,
      input: { healthStatus?: string; shouldRespectGracePeriod?: boolean },
    ): void {
      check(instanceId !== undefined, "InstanceId is required");
      check(input.healthStatus !== undefined, "HealthStatus is required");
      const status = checkOneOf("HealthStatus", input.healthStatus, ["Healthy", "Unhealthy"] as const);
      mutate(ctx, (tx, announce) => {
        const row = findManagedInstance(tx, instanceId);
        if (status === "Healthy" || row.lifecycleState === "Terminating") {
          tx.update(instances).set({ healthStatus: status }).where(eq(instances.id, row.id)).run();
          return;
        }
        const group = findGroup(tx, row.groupName);
        const now = ctx.now();
        const since = row.inServiceAt ?? row.launchedAt;
        if ((input.shouldRespectGracePeriod ?? true) && now < since + group.healthCheckGracePeriod * 1000)
          return;
        // ReplaceUnhealthy (or Terminate) suspended: marked, and replaced once it is resumed.
        if (isSuspended(group, "ReplaceUnhealthy") || isSuspended(group, "Terminate")) {
          tx.update(instances).set({ healthStatus: status }).where(eq(instances.id, row.id)).run();
          return;
        }
        beginUserTermination(
          ctx,
          tx,
          announce,
          row,
          `At ${isoSeconds(now)} an instance was taken out of service in response to a user health-check.`,
          "instance marked unhealthy by a user",
          "Unhealthy",
        );
      });
    },

    /** Auto Scaling's DescribeAccountLimits: AWS's default quotas, and what is in use. */
    autoScalingLimits(): {
      maxNumberOfAutoScalingGroups: number;
      maxNumberOfLaunchConfigurations: number;
      numberOfAutoScalingGroups: number;
      numberOfLaunchConfigurations: number;
    } {
      const groups = ctx.db.select({ n: sql<number>`count(*)` }).from(autoScalingGroups).get()?.n ?? 0;
      return {
        maxNumberOfAutoScalingGroups: 500,
        maxNumberOfLaunchConfigurations: 200,
        numberOfAutoScalingGroups: groups,
        numberOfLaunchConfigurations: 0,
      };
    },

    /** Elastic Load Balancing's DescribeAccountLimits: the quotas scaleout enforces, AWS's defaults otherwise. */
    elbLimits(): Array<{ name: string; max: string }> {
      return elbAccountLimits.map((limit) => ({ ...limit }));
    },
  };
}

/** ELB's quota names, sorted as AWS answers them. */
export const elbAccountLimits: ReadonlyArray<{ name: string; max: string }> = [
  { name: "application-load-balancers", max: "50" },
  { name: "condition-values-per-alb-rule", max: "5" },
  { name: "condition-wildcards-per-alb-rule", max: "5" },
  { name: "gateway-load-balancers", max: "100" },
  { name: "gateway-load-balancers-per-vpc", max: "100" },
  { name: "geneve-target-groups", max: "100" },
  { name: "listeners-per-application-load-balancer", max: "50" },
  { name: "listeners-per-network-load-balancer", max: "50" },
  { name: "network-load-balancers", max: "50" },
  { name: "rules-per-application-load-balancer", max: String(maxRulesPerListener) },
  { name: "target-groups", max: "3000" },
  { name: "target-groups-per-action-on-application-load-balancer", max: "5" },
  { name: "target-groups-per-action-on-network-load-balancer", max: "1" },
  { name: "target-groups-per-application-load-balancer", max: "100" },
  { name: "targets-per-application-load-balancer", max: String(maxTargetsPerGroup) },
  { name: "targets-per-availability-zone-per-gateway-load-balancer", max: "300" },
  { name: "targets-per-availability-zone-per-network-load-balancer", max: "500" },
  { name: "targets-per-network-load-balancer", max: "3000" },
];

export type InstanceActionService = ReturnType<typeof instanceActionService>;
