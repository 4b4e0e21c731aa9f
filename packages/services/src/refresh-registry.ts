import { schema } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";
import { isoSeconds, mutate, type PlatformEvent, type ServiceContext } from "./context.ts";
import {
  activeRefreshStatuses,
  type RefreshRow,
  type RefreshState,
  refreshState,
} from "./instance-refreshes.ts";
import { targetRowsOf } from "./instance-targets.ts";
import type { GroupSnapshot, InstanceRow } from "./instances.ts";
import {
  findLaunchTemplate,
  type ResolvedLaunchTemplate,
  resolveLaunchTemplateVersion,
} from "./launch-templates.ts";

/*
 * The worker's side of an instance refresh: the active refresh of a group, its progress and its end.
 * The reconcile pass decides (core planRefresh); these functions write.
 */

const { instanceRefreshes, autoScalingGroups, alarms } = schema;

/** AWS's activity sentences for what a refresh does. */
export const refreshCauses = {
  replace: (at: number, instanceId: string) =>
    `At ${isoSeconds(at)} an instance was taken out of service in response to an instance refresh.  At ${isoSeconds(at)} instance ${instanceId} was selected for termination.`,
  launch: (at: number) => `At ${isoSeconds(at)} an instance was launched in response to an instance refresh.`,
};

export interface RefreshProgress {
  status?: string;
  statusReason?: string | null;
  percentageComplete?: number;
  instancesToUpdate?: number;
  state?: RefreshState;
  /** The refresh ended (Successful, Failed, Cancelled, RollbackSuccessful...). */
  ended?: boolean;
  /** Successful with a desired configuration: the group launches from it from now on. */
  adoptConfiguration?: boolean;
  /** The EventBridge detail-type to publish (Instance Refresh Started, Checkpoint Reached, ...). */
  event?: string;
}

export function refreshRegistry(ctx: ServiceContext) {
  return {
    /** The refresh of a group that still acts, if any. */
    active(groupName: string): RefreshRow | undefined {
      return ctx.db
        .select()
        .from(instanceRefreshes)
        .where(
          and(
            eq(instanceRefreshes.groupName, groupName),
            inArray(instanceRefreshes.status, activeRefreshStatuses),
          ),
        )
        .get();
    },

    /** The template version a refresh's replacements launch from; undefined when it is gone. */
    target(row: RefreshRow): ResolvedLaunchTemplate | undefined {
      const state = refreshState(row);
      if (state.templateId === undefined || state.version === undefined) return undefined;
      try {
        const template = findLaunchTemplate(ctx.db, state.templateId);
        return { template, version: resolveLaunchTemplateVersion(ctx.db, template, String(state.version)) };
      } catch {
        return undefined;
      }
    },

    /**
     * Since when an instance has been in service and passing the group's health checks: with ELB health
     * checks, healthy in every attached target group (from the last of those transitions).
     */
    healthySince(snapshot: GroupSnapshot, row: InstanceRow): number | undefined {
      if (row.lifecycleState !== "InService" || row.healthStatus !== "Healthy") return undefined;
      const since = row.inServiceAt ?? row.launchedAt;
      if (snapshot.group.healthCheckType !== "ELB" || snapshot.targetGroups.length === 0) return since;
      const attached = new Set(snapshot.targetGroups.map((g) => g.arn));
      const rows = targetRowsOf(ctx.db, row).filter((r) => attached.has(r.targetGroupArn));
      if (rows.length < snapshot.targetGroups.length || rows.some((r) => r.state !== "healthy"))
        return undefined;
      return Math.max(since, ...rows.map((r) => r.updatedAt));
    },

    /** The first of these alarms in ALARM, if any (AlarmSpecification). */
    alarming(names: string[]): string | undefined {
      if (names.length === 0) return undefined;
      return ctx.db
        .select({ name: alarms.name })
        .from(alarms)
        .where(and(inArray(alarms.name, names), eq(alarms.stateValue, "ALARM")))
        .get()?.name;
    },

    /** Records progress, or the end of the refresh. */
    update(row: RefreshRow, progress: RefreshProgress): void {
      const now = ctx.now();
      mutate(ctx, (tx, announce) => {
        tx.update(instanceRefreshes)
          .set({
            ...(progress.status !== undefined && { status: progress.status }),
            ...(progress.statusReason !== undefined && { statusReason: progress.statusReason }),
            ...(progress.percentageComplete !== undefined && {
              percentageComplete: progress.percentageComplete,
            }),
            ...(progress.instancesToUpdate !== undefined && {
              instancesToUpdate: progress.instancesToUpdate,
            }),
            ...(progress.state !== undefined && { state: { ...progress.state } }),
            ...(progress.ended && { endTime: now }),
          })
          .where(eq(instanceRefreshes.id, row.id))
          .run();
        const desired = row.desiredConfiguration as {
          launchTemplate?: { launchTemplateId: string; version: string };
        } | null;
        if (progress.adoptConfiguration && desired?.launchTemplate) {
          // As AWS: the group's own configuration changes only once the refresh has succeeded.
          tx.update(autoScalingGroups)
            .set({
              launchTemplateId: desired.launchTemplate.launchTemplateId,
              launchTemplateVersion: desired.launchTemplate.version,
            })
            .where(eq(autoScalingGroups.name, row.groupName))
            .run();
        }
        if (progress.event) {
          const group = tx
            .select({ arn: autoScalingGroups.arn })
            .from(autoScalingGroups)
            .where(eq(autoScalingGroups.name, row.groupName))
            .get();
          const event: PlatformEvent = {
            "detail-type": progress.event,
            source: "aws.autoscaling",
            resources: group ? [group.arn] : [],
            detail: {
              InstanceRefreshId: row.id,
              AutoScalingGroupName: row.groupName,
              ...(progress.statusReason && { StatusReason: progress.statusReason }),
            },
          };
          announce.events.push(event);
        }
      });
    },
  };
}

export type RefreshRegistry = ReturnType<typeof refreshRegistry>;
