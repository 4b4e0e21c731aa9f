import { type ActivityStatus, launchingTransition } from "@scaleout/core";
import { type Db, readTransaction, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray, lt, ne, notInArray } from "drizzle-orm";
import { startActivity, updateActivity } from "./activities.ts";
import { mutate, type ServiceContext } from "./context.ts";
import {
  launchDescription,
  openActivity,
  openLaunchActivity,
  terminateDescription,
} from "./instance-activities.ts";
import { announceActivityEvent } from "./instance-events.ts";
import { putInService } from "./instance-in-service.ts";
import { instanceMoveRegistry, intoServiceDescriptions } from "./instance-moves.ts";
import { instanceTargetSync } from "./instance-target-sync.ts";
import { deregisterRows, instanceAddress, targetKey, targetRowsOf } from "./instance-targets.ts";
import {
  findLaunchTemplate,
  type ResolvedLaunchTemplate,
  resolveLaunchTemplateVersion,
} from "./launch-templates.ts";
import { clearActions, openActions } from "./lifecycle-actions.ts";
import { removeGroupTags } from "./tags.ts";

/*
 * The worker's side of the registry: instance rows, their target registrations and the scaling
 * activities that record each launch and termination. The reconciler decides; these functions write,
 * each step in one transaction, in an order that keeps a crash between two steps recoverable: the
 * instance row exists before the runtime starts anything, and a row is Terminated only once the runtime
 * has stopped it.
 */

const { autoScalingGroups, groupTargetGroups, instances, targetGroups, targets } = schema;

export type InstanceRow = typeof instances.$inferSelect;
type GroupRow = typeof autoScalingGroups.$inferSelect;
type TargetGroupRow = typeof targetGroups.$inferSelect;

export {
  activityCauses,
  fromWarmPoolDescription,
  launchDescription,
  openActivity,
  openLaunchActivity,
  terminateDescription,
} from "./instance-activities.ts";
export { putInService } from "./instance-in-service.ts";
export { instanceAddress, targetOf } from "./instance-targets.ts";

/** What one reconcile pass reads about a group, in one consistent snapshot. */
export interface GroupSnapshot {
  group: GroupRow;
  /** Every instance row of the group that is not Terminated, oldest first. */
  instances: InstanceRow[];
  /** Target groups attached to the group. */
  targetGroups: TargetGroupRow[];
  /** What a launch uses now: the group's template at the version its specifier resolves to. */
  launchTemplate: ResolvedLaunchTemplate;
}

export interface LaunchPlan {
  instanceId: string;
  /** Absent: the driver allocates the port, and the row learns it (and the address) when the launch completes. */
  port?: number;
}

export interface Launched {
  ref: string;
  address: string;
  port: number;
}

/**
 * The row an instance has from step 1 of its launch (before the runtime is asked): the group's template
 * version, its protection setting, the port the runtime will publish on.
 */
export function plannedInstanceRow(
  group: GroupRow,
  launchTemplate: ResolvedLaunchTemplate,
  plan: LaunchPlan,
  options: {
    lifecycleState: string;
    driver: string;
    zone: string;
    now: number;
    warmPoolState?: string | null;
    refreshId?: string | null;
  },
): InstanceRow {
  return {
    id: plan.instanceId,
    groupName: group.name,
    lifecycleState: options.lifecycleState,
    healthStatus: "Healthy",
    launchTemplateId: launchTemplate.template.id,
    launchTemplateName: launchTemplate.template.name,
    launchTemplateVersion: launchTemplate.version.version,
    availabilityZone: options.zone,
    protectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    driver: options.driver,
    driverRef: null,
    // Where it answers is the driver's to say (a swarm node's address); known once the launch completes.
    address: plan.port === undefined ? null : instanceAddress,
    port: plan.port ?? null,
    launchedAt: options.now,
    inServiceAt: null,
    terminatingAt: null,
    metadataPort: null,
    decrementedDesired: null,
    warmPoolState: options.warmPoolState ?? null,
    refreshId: options.refreshId ?? null,
    registrationSkipped: false,
  };
}

/**
 * The reconciler's registry operations. Every write goes through `mutate`, so the configuration version
 * moves and the proxy learns about new and deregistered targets; none announces a group change (the
 * reconciler is the one that would be told).
 */
export function instanceRegistry(ctx: ServiceContext) {
  const targetSync = instanceTargetSync(ctx);
  /** A launch that will not happen: the row is Terminated and its launch activity ends as `update` says. */
  function endLaunch(
    instanceId: string,
    update: { statusCode: "Failed" | "Cancelled"; statusMessage: string; description?: string },
  ): void {
    const now = ctx.now();
    mutate(ctx, (tx, announce) => {
      const row = findInstance(tx, instanceId);
      if (!row) return;
      tx.update(instances)
        .set({ lifecycleState: "Terminated", terminatingAt: now })
        .where(eq(instances.id, instanceId))
        .run();
      clearActions(tx, instanceId);
      const activity = openLaunchActivity(tx, row);
      if (activity) {
        updateActivity(tx, activity.id, { ...update, now });
        if (update.statusCode === "Failed")
          announceActivityEvent(tx, announce, activity.id, row.id, "EC2 Instance Launch Unsuccessful");
      }
      // An instance moved back into service (ExitStandby, AttachInstances) that was found not running.
      for (const description of intoServiceDescriptions(row.id)) {
        const moved = openActivity(tx, row.groupName, description);
        if (moved)
          updateActivity(tx, moved.id, {
            statusCode: update.statusCode,
            statusMessage: update.statusMessage,
            now,
          });
      }
    });
  }

  const zone = `${ctx.partition.region}a`;
  const details = { "Subnet ID": "subnet-local", "Availability Zone": zone };

  function findInstance(tx: Db | Tx, instanceId: string): InstanceRow | undefined {
    return tx.select().from(instances).where(eq(instances.id, instanceId)).get();
  }

  // A Detached instance keeps running but is no longer the group's: no pass steps it, no deletion waits for it.
  function liveInstances(db: Db | Tx, groupName: string): InstanceRow[] {
    return db
      .select()
      .from(instances)
      .where(
        and(
          eq(instances.groupName, groupName),
          notInArray(instances.lifecycleState, ["Terminated", "Detached"]),
        ),
      )
      .orderBy(instances.launchedAt)
      .all();
  }

  function touchGroup(tx: Tx, groupName: string, now: number): void {
    // Cooldowns count from the end of the last scaling activity.
    tx.update(autoScalingGroups)
      .set({ lastScalingEndedAt: now })
      .where(eq(autoScalingGroups.name, groupName))
      .run();
  }

  return {
    ...targetSync,
    /** The group as one pass sees it, or undefined when it does not exist (any more). */
    snapshot(groupName: string): GroupSnapshot | undefined {
      return readTransaction(ctx.db, (tx) => {
        const group = tx.select().from(autoScalingGroups).where(eq(autoScalingGroups.name, groupName)).get();
        if (!group) return undefined;
        const template = findLaunchTemplate(tx, group.launchTemplateId);
        const version = resolveLaunchTemplateVersion(tx, template, group.launchTemplateVersion);
        const attached = tx
          .select({ arn: groupTargetGroups.targetGroupArn })
          .from(groupTargetGroups)
          .where(eq(groupTargetGroups.groupName, group.name))
          .all()
          .map((r) => r.arn);
        return {
          group,
          instances: liveInstances(tx, group.name),
          targetGroups:
            attached.length === 0
              ? []
              : tx.select().from(targetGroups).where(inArray(targetGroups.arn, attached)).all(),
          launchTemplate: { template, version },
        };
      });
    },

    /** Instance rows of a group that are not Terminated, oldest first. */
    liveInstances(groupName: string): InstanceRow[] {
      return liveInstances(ctx.db, groupName);
    },

    /**
     * Ports an instance must not take: other instances' own and metadata ports, and every listener's
     * (the proxy binds those).
     */
    portsInUse(): Set<number> {
      const taken = ctx.db
        .select({ port: instances.port, metadataPort: instances.metadataPort })
        .from(instances)
        .where(ne(instances.lifecycleState, "Terminated"))
        .all()
        .flatMap((r) => [r.port, r.metadataPort].filter((p) => p !== null));
      const listening = ctx.db.select({ port: schema.listeners.port }).from(schema.listeners).all();
      return new Set([...taken, ...listening.map((l) => l.port)]);
    },

    /**
     * Step 1 of a launch, before the runtime is asked: Pending rows (with the ports they will listen on)
     * and their InProgress activities. A worker that dies after this finds the rows and launches them.
     */
    beginLaunches(
      snapshot: GroupSnapshot,
      plans: LaunchPlan[],
      options: {
        cause: string;
        driver: string;
        /** An instance refresh's replacements launch from its desired configuration. */
        launchTemplate?: ResolvedLaunchTemplate;
        refreshId?: string;
      },
    ): InstanceRow[] {
      const now = ctx.now();
      const { group } = snapshot;
      const launchTemplate = options.launchTemplate ?? snapshot.launchTemplate;
      return mutate(ctx, (tx) =>
        plans.map((plan) => {
          const row = plannedInstanceRow(group, launchTemplate, plan, {
            lifecycleState: "Pending",
            driver: options.driver,
            zone,
            now,
            refreshId: options.refreshId ?? null,
          });
          tx.insert(instances).values(row).run();
          startActivity(tx, {
            groupName: group.name,
            description: launchDescription(row.id),
            cause: options.cause,
            details,
            now,
          });
          return row;
        }),
      );
    },

    /**
     * Step 2, once the runtime runs the instance: where it answers, then InService (registered in each
     * of the group's target groups, the activity done), or Pending:Wait when launch lifecycle hooks hold
     * it (one action per hook, announced; not registered, so no traffic). Also how an adopted Pending
     * instance (its worker died after the launch) is completed.
     */
    completeLaunch(instanceId: string, launched: Launched): InstanceRow | undefined {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (row?.lifecycleState !== "Pending") return row;
        const started: InstanceRow = {
          ...row,
          driverRef: launched.ref,
          address: launched.address,
          port: launched.port,
        };
        if (openActions(ctx, tx, announce, started, launchingTransition) > 0) {
          const waiting: InstanceRow = { ...started, lifecycleState: "Pending:Wait" };
          tx.update(instances).set(waiting).where(eq(instances.id, instanceId)).run();
          const activity = openLaunchActivity(tx, row);
          if (activity) updateActivity(tx, activity.id, { statusCode: "MidLifecycleAction", now });
          return waiting;
        }
        return putInService(tx, announce, started, now);
      });
    },

    /** The runtime refused the launch: the row is Terminated and the activity Failed with its reason. */
    failLaunch(instanceId: string, reason: string): void {
      endLaunch(instanceId, {
        statusCode: "Failed",
        statusMessage: reason,
        description: `Launching a new EC2 instance.  Status Reason: ${reason}. Launching EC2 instance failed.`,
      });
    },

    /** A Pending row the group no longer needs (desired dropped before the worker could launch it). */
    cancelLaunch(instanceId: string, reason: string): void {
      endLaunch(instanceId, { statusCode: "Cancelled", statusMessage: reason });
    },

    /**
     * The loopback port of an instance's metadata service, taken before its runtime starts so that a
     * restarted worker serves it on the same port.
     */
    recordMetadataPort(instanceId: string, port: number): void {
      // Not a configuration change: the proxy never looks at it.
      ctx.db.update(instances).set({ metadataPort: port }).where(eq(instances.id, instanceId)).run();
    },

    /** An adopted instance's runtime reference and port, when its row lacks them. */
    recordRuntime(instanceId: string, launched: Launched): void {
      mutate(ctx, (tx) => {
        tx.update(instances)
          .set({ driverRef: launched.ref, address: launched.address, port: launched.port })
          .where(eq(instances.id, instanceId))
          .run();
      });
    },

    /**
     * Takes an instance out of service: Terminating, deregistered from every target group first, and an
     * activity that waits for connection draining when any target drains. Answers whether it drains.
     * `unhealthy` marks the instance's health status (health check replacements).
     */
    beginTermination(instanceId: string, cause: string, options: { unhealthy?: boolean } = {}): boolean {
      const now = ctx.now();
      return mutate(ctx, (tx) => {
        const row = findInstance(tx, instanceId);
        if (!row || row.lifecycleState === "Terminated") return false;
        const draining = deregisterRows(tx, targetRowsOf(tx, row), now);
        tx.update(instances)
          .set({
            lifecycleState: "Terminating",
            terminatingAt: row.terminatingAt ?? now,
            ...(options.unhealthy && { healthStatus: "Unhealthy" }),
          })
          .where(eq(instances.id, instanceId))
          .run();
        const status: ActivityStatus = draining ? "WaitingForELBConnectionDraining" : "InProgress";
        const open = openActivity(tx, row.groupName, terminateDescription(row.id));
        if (open) updateActivity(tx, open.id, { statusCode: status, now });
        else {
          startActivity(tx, {
            groupName: row.groupName,
            description: terminateDescription(row.id),
            cause,
            details,
            now,
            statusCode: status,
          });
        }
        return draining;
      });
    },

    /**
     * Whether a Terminating instance may stop: none of its targets is still draining (the proxy records
     * drained_at when a draining target's in-flight requests have finished, and the row shows `draining`
     * until its deadline; a row past its deadline is done). A target registered again meanwhile is
     * deregistered again.
     */
    drained(instanceId: string): boolean {
      const now = ctx.now();
      const row = findInstance(ctx.db, instanceId);
      if (!row) return true;
      const rows = targetRowsOf(ctx.db, row);
      if (rows.some((r) => r.state !== "draining")) {
        return !mutate(ctx, (tx) => deregisterRows(tx, targetRowsOf(tx, row), now));
      }
      return !rows.some((r) => r.drainDeadline !== null && r.drainDeadline > now && r.drainedAt === null);
    },

    /**
     * The runtime has stopped the instance: its leftover target rows go (but drained ones, which show
     * draining until their deadline), the row is Terminated, the activity Successful, and the group's
     * cooldown starts now.
     */
    finishTermination(instanceId: string): void {
      const now = ctx.now();
      mutate(ctx, (tx, announce) => {
        const row = findInstance(tx, instanceId);
        if (!row) return;
        for (const target of targetRowsOf(tx, row)) {
          // A drained target shows draining until its deadline, as AWS shows it: the proxy removes it then.
          const showsDraining =
            target.state === "draining" &&
            target.drainedAt !== null &&
            target.drainDeadline !== null &&
            target.drainDeadline > now;
          if (!showsDraining) tx.delete(targets).where(targetKey(target)).run();
        }
        tx.update(instances)
          .set({ lifecycleState: "Terminated", terminatingAt: row.terminatingAt ?? now })
          .where(eq(instances.id, instanceId))
          .run();
        clearActions(tx, instanceId);
        // Taken out of service while its launch still waited (a lifecycle hook): that launch is over.
        const launch = openLaunchActivity(tx, row);
        if (launch) {
          updateActivity(tx, launch.id, {
            statusCode: "Cancelled",
            statusMessage: "The instance was terminated before its launch completed",
            now,
          });
        }
        const activity = openActivity(tx, row.groupName, terminateDescription(row.id));
        if (activity) {
          updateActivity(tx, activity.id, { statusCode: "Successful", progress: 100, now });
          announceActivityEvent(tx, announce, activity.id, row.id, "EC2 Instance Terminate Successful");
        }
        touchGroup(tx, row.groupName, now);
      });
    },

    /**
     * A group whose deletion was asked for goes once its last instance has terminated, with its tags and
     * the rows of its terminated instances. Answers whether it went.
     */
    deleteGroupIfDone(groupName: string): boolean {
      return mutate(ctx, (tx) => {
        const group = tx.select().from(autoScalingGroups).where(eq(autoScalingGroups.name, groupName)).get();
        if (!group || group.status === null) return false;
        if (liveInstances(tx, group.name).length > 0) return false;
        tx.delete(autoScalingGroups).where(eq(autoScalingGroups.name, group.name)).run();
        removeGroupTags(tx, group.arn);
        // Detached instances outlive the group they left (they run until someone ends them).
        tx.delete(instances)
          .where(and(eq(instances.groupName, group.name), ne(instances.lifecycleState, "Detached")))
          .run();
        return true;
      });
    },

    /** Terminated rows are kept a while (orphan detection, DescribeScalingActivities' context), then go. */
    pruneTerminated(groupName: string, before: number): void {
      ctx.db
        .delete(instances)
        .where(
          and(
            eq(instances.groupName, groupName),
            eq(instances.lifecycleState, "Terminated"),
            lt(instances.terminatingAt, before),
          ),
        )
        .run();
    },

    /** InService instances of every group, for the metric collector. */
    inService(): InstanceRow[] {
      return ctx.db.select().from(instances).where(eq(instances.lifecycleState, "InService")).all();
    },

    /** Names of every group, and of groups that only instance rows still mention. */
    groupNames(): string[] {
      const names = new Set(
        ctx.db
          .select({ name: autoScalingGroups.name })
          .from(autoScalingGroups)
          .all()
          .map((r) => r.name),
      );
      for (const row of ctx.db
        .selectDistinct({ name: instances.groupName })
        .from(instances)
        .where(notInArray(instances.lifecycleState, ["Terminated", "Detached"]))
        .all())
        names.add(row.name);
      return [...names].sort();
    },

    ...instanceMoveRegistry(ctx),
  };
}

export type InstanceRegistry = ReturnType<typeof instanceRegistry>;
