import { check, checkOneOf, decodeToken, Errors, encodeToken, newUuid, type Page } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { iso, mutate, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
import { findLaunchTemplate, resolveLaunchTemplateVersion } from "./launch-templates.ts";
import type { Wire } from "./shapes/common.ts";
import type {
  InstanceRefresh,
  RefreshPreferences,
  StartInstanceRefresh,
} from "./shapes/instance-refreshes.ts";

/*
 * StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh and RollbackInstanceRefresh: the
 * requests. The worker's reconcile pass carries a refresh out (refresh-registry.ts holds its writes).
 */

const { instanceRefreshes, alarms } = schema;
export type RefreshRow = typeof instanceRefreshes.$inferSelect;

/** Statuses of a refresh that still acts: one at a time per group. */
export const activeRefreshStatuses = ["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"];

/** What the worker keeps in a refresh's `state` column. */
export interface RefreshState {
  /** The template and the version number replacements launch from (resolved at start). */
  templateId?: string;
  version?: number;
  /** Instances to update when the refresh (or its rollback) began. */
  total?: number;
  checkpoint?: { percentage: number; reachedAt: number };
  /** When the last instance was replaced (Baking counts BakeTime from here). */
  doneAt?: number;
  rollback?: {
    reason: string;
    startTime: number;
    total?: number;
    percentageComplete: number;
    instancesToUpdate: number;
  };
}

/** Preferences as stored: AWS's defaults filled in, so the worker and DescribeInstanceRefreshes agree. */
export type StoredPreferences = RefreshPreferences & {
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
  skipMatching: boolean;
  autoRollback: boolean;
  scaleInProtectedInstances: "Refresh" | "Ignore" | "Wait";
  standbyInstances: "Terminate" | "Ignore" | "Wait";
};

export function refreshState(row: RefreshRow): RefreshState {
  return row.state as RefreshState;
}

export function storedPreferences(row: RefreshRow): StoredPreferences {
  return row.preferences as StoredPreferences;
}

function checkPreferences(input: Wire<RefreshPreferences> | undefined): StoredPreferences {
  const p = input ?? {};
  const int = (name: string, value: number | undefined, min: number, max: number) =>
    check(
      value === undefined || (Number.isInteger(value) && value >= min && value <= max),
      `${name} must be between ${min} and ${max}`,
    );
  int("MinHealthyPercentage", p.minHealthyPercentage, 0, 100);
  int("MaxHealthyPercentage", p.maxHealthyPercentage, 100, 200);
  int("InstanceWarmup", p.instanceWarmup, 0, 2 ** 31 - 1);
  int("CheckpointDelay", p.checkpointDelay, 0, 172800);
  int("BakeTime", p.bakeTime, 0, 172800);
  if (p.maxHealthyPercentage !== undefined) {
    check(
      p.minHealthyPercentage !== undefined,
      "MinHealthyPercentage must be specified when MaxHealthyPercentage is specified.",
    );
    check(
      p.maxHealthyPercentage - p.minHealthyPercentage <= 100,
      "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100.",
    );
  }
  const checkpoints = p.checkpointPercentages;
  if (checkpoints !== undefined) {
    for (const value of checkpoints) int("CheckpointPercentages", value, 1, 100);
    check(
      checkpoints.every((value, i) => i === 0 || value > (checkpoints[i - 1] ?? 0)),
      "CheckpointPercentages must be in ascending order without repeats.",
    );
  }
  check(
    p.checkpointDelay === undefined || (checkpoints?.length ?? 0) > 0,
    "CheckpointDelay requires CheckpointPercentages.",
  );
  const scaleIn = checkOneOf("ScaleInProtectedInstances", p.scaleInProtectedInstances ?? "Ignore", [
    "Refresh",
    "Ignore",
    "Wait",
  ] as const);
  const standby = checkOneOf("StandbyInstances", p.standbyInstances ?? "Ignore", [
    "Terminate",
    "Ignore",
    "Wait",
  ] as const);
  return {
    ...p,
    minHealthyPercentage: p.minHealthyPercentage ?? 90,
    maxHealthyPercentage: p.maxHealthyPercentage ?? 100,
    skipMatching: p.skipMatching ?? false,
    autoRollback: p.autoRollback ?? false,
    scaleInProtectedInstances: scaleIn,
    standbyInstances: standby,
    ...(checkpoints?.length && { checkpointDelay: p.checkpointDelay ?? 3600 }),
  };
}

function activeRefresh(db: Db | Tx, groupName: string): RefreshRow | undefined {
  return db
    .select()
    .from(instanceRefreshes)
    .where(
      and(
        eq(instanceRefreshes.groupName, groupName),
        inArray(instanceRefreshes.status, activeRefreshStatuses),
      ),
    )
    .get();
}

const noActive = (groupName: string) =>
  new Errors.ActiveInstanceRefreshNotFound(
    `No in progress or pending Instance Refresh found for Auto Scaling group ${groupName}`,
  );

export function toInstanceRefresh(row: RefreshRow): InstanceRefresh {
  const state = refreshState(row);
  const desired = row.desiredConfiguration as {
    launchTemplate?: InstanceRefresh["desiredConfiguration"];
  } | null;
  const progress = { percentageComplete: row.percentageComplete, instancesToUpdate: row.instancesToUpdate };
  const rollback = state.rollback;
  return {
    instanceRefreshId: row.id,
    autoScalingGroupName: row.groupName,
    status: row.status,
    ...(row.statusReason !== null && { statusReason: row.statusReason }),
    ...(row.startTime !== null && { startTime: iso(row.startTime) }),
    ...(row.endTime !== null && { endTime: iso(row.endTime) }),
    ...progress,
    progressDetails: { livePoolProgress: progress },
    preferences: storedPreferences(row),
    ...(desired !== null && { desiredConfiguration: desired as InstanceRefresh["desiredConfiguration"] }),
    ...(rollback && {
      rollbackDetails: {
        rollbackReason: rollback.reason,
        rollbackStartTime: iso(rollback.startTime),
        percentageCompleteOnRollback: rollback.percentageComplete,
        instancesToUpdateOnRollback: rollback.instancesToUpdate,
        progressDetailsOnRollback: {
          livePoolProgress: {
            percentageComplete: rollback.percentageComplete,
            instancesToUpdate: rollback.instancesToUpdate,
          },
        },
      },
    }),
    strategy: row.strategy,
  };
}

/** Rollback needs a configuration to go back to: a desired configuration and a group on a fixed version. */
function reversible(db: Db | Tx, groupName: string, hasDesired: boolean): boolean {
  const group = findGroup(db, groupName);
  return hasDesired && /^[0-9]+$/.test(group.launchTemplateVersion);
}

const irreversible =
  "The request failed because a desired configuration was not found or an incompatible launch template (uses a Systems Manager parameter instead of an AMI ID) or launch template version ($Latest or $Default) is present on the Auto Scaling group.";

export function instanceRefreshService(ctx: ServiceContext) {
  return {
    start(groupName: string, input: Wire<StartInstanceRefresh>): { instanceRefreshId: string } {
      const strategy = input.strategy ?? "Rolling";
      check(
        strategy === "Rolling",
        strategy === "ReplaceRootVolume"
          ? "Strategy ReplaceRootVolume is not supported by scaleout: use Rolling"
          : `Strategy '${strategy}' is not valid: use Rolling`,
      );
      const preferences = checkPreferences(input.preferences);
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        check(group.status === null, `AutoScalingGroup ${group.name} is pending delete.`);
        if (activeRefresh(tx, group.name)) {
          throw new Errors.InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
          );
        }
        // Replacements launch from the desired configuration, else from what the group launches now,
        // resolved once so that a new $Latest during the refresh does not move the target.
        const spec = input.desiredConfiguration?.launchTemplate;
        const template = findLaunchTemplate(
          tx,
          spec?.launchTemplateId ?? spec?.launchTemplateName ?? group.launchTemplateId,
        );
        const version = resolveLaunchTemplateVersion(
          tx,
          template,
          spec ? (spec.version ?? "$Default") : group.launchTemplateVersion,
        );
        if (preferences.autoRollback) {
          check(reversible(tx, group.name, spec !== undefined), `AutoRollback: ${irreversible}`);
        }
        for (const name of preferences.alarmSpecification?.alarms ?? []) {
          const alarm = tx.select({ name: alarms.name }).from(alarms).where(eq(alarms.name, name)).get();
          check(alarm !== undefined, `The alarm ${name} in AlarmSpecification does not exist.`);
        }
        const id = newUuid();
        const state: RefreshState = { templateId: template.id, version: version.version };
        tx.insert(instanceRefreshes)
          .values({
            id,
            groupName: group.name,
            status: "Pending",
            statusReason: null,
            strategy,
            preferences,
            desiredConfiguration: spec
              ? {
                  launchTemplate: {
                    launchTemplateId: template.id,
                    launchTemplateName: template.name,
                    version: spec.version ?? "$Default",
                  },
                }
              : null,
            percentageComplete: 0,
            instancesToUpdate: 0,
            state: { ...state },
            startTime: now,
            endTime: null,
            createdAt: now,
          })
          .run();
        announce.groups.push({ name: group.name, reason: "instance refresh started" });
        return { instanceRefreshId: id };
      });
    },

    /** DescribeInstanceRefreshes: newest first. */
    describe(
      groupName: string,
      options: { instanceRefreshIds?: string[]; pageSize?: number; nextToken?: string } = {},
    ): Page<InstanceRefresh> {
      const group = findGroup(ctx.db, groupName);
      const pageSize = options.pageSize ?? 50;
      check(
        Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 100,
        "MaxRecords must be between 1 and 100",
      );
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(instanceRefreshes)
        .where(
          and(
            eq(instanceRefreshes.groupName, group.name),
            options.instanceRefreshIds?.length
              ? inArray(instanceRefreshes.id, options.instanceRefreshIds)
              : undefined,
            after === undefined ? undefined : lt(instanceRefreshes.createdAt, Number(after)),
          ),
        )
        .orderBy(desc(instanceRefreshes.createdAt), desc(instanceRefreshes.id))
        .limit(pageSize + 1)
        .all();
      const items = rows.slice(0, pageSize);
      const last = items[items.length - 1];
      return {
        items: items.map(toInstanceRefresh),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(String(last.createdAt)) }),
      };
    },

    /** CancelInstanceRefresh: the worker stops replacing and ends it Cancelled (after instances in transit). */
    cancel(groupName: string): { instanceRefreshId: string } {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        const row = activeRefresh(tx, group.name);
        if (!row || row.status === "Cancelling") throw noActive(group.name);
        const pending = row.status === "Pending";
        tx.update(instanceRefreshes)
          .set({
            status: pending ? "Cancelled" : "Cancelling",
            statusReason: "Instance refresh cancelled by a user request.",
            ...(pending && { endTime: now }),
          })
          .where(eq(instanceRefreshes.id, row.id))
          .run();
        announce.groups.push({ name: group.name, reason: "instance refresh cancelled" });
        return { instanceRefreshId: row.id };
      });
    },

    /** RollbackInstanceRefresh: replaces what the refresh launched with the group's own configuration. */
    rollback(groupName: string): { instanceRefreshId: string } {
      const now = ctx.now();
      return mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        const row = activeRefresh(tx, group.name);
        if (!row || row.status === "Cancelling" || row.status === "RollbackInProgress")
          throw noActive(group.name);
        if (!reversible(tx, group.name, row.desiredConfiguration !== null)) {
          throw new Errors.IrreversibleInstanceRefresh(irreversible);
        }
        const state = refreshState(row);
        tx.update(instanceRefreshes)
          .set({
            status: "RollbackInProgress",
            statusReason: null,
            state: {
              ...state,
              rollback: {
                reason: "Rollback requested by a user (RollbackInstanceRefresh).",
                startTime: now,
                percentageComplete: 0,
                instancesToUpdate: 0,
              },
            },
          })
          .where(eq(instanceRefreshes.id, row.id))
          .run();
        announce.groups.push({ name: group.name, reason: "instance refresh rolled back" });
        return { instanceRefreshId: row.id };
      });
    },
  };
}

export type InstanceRefreshService = ReturnType<typeof instanceRefreshService>;
