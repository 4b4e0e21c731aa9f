import { isSuspended, planRefresh, type RefreshInstance, type RefreshPlanPreferences } from "@scaleout/core";
import {
  type GroupSnapshot,
  type RefreshRow,
  refreshCauses,
  refreshRegistry,
  refreshState,
  storedPreferences,
} from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { Launcher } from "./launches.ts";
import type { PassState } from "./pass-state.ts";

/*
 * The instance refresh step of a pass, before the capacity step: the plan (core planRefresh) says which
 * outdated instances go now (through beginTermination, so they drain from their target groups first) and
 * how many instances the group may run above its desired capacity; the capacity step then launches the
 * replacements from the refresh's template version. A refresh that waits (warm-up, a checkpoint, a
 * suspended InstanceRefresh process) keeps the pass coming back.
 */

const ended = { ended: true } as const;

export function createRefreshStep(ctx: WorkerContext, launcher: Launcher) {
  const { registry, log } = ctx;
  const refreshes = refreshRegistry(ctx.services.ctx);
  const now = () => ctx.services.ctx.now();

  function fail(row: RefreshRow, reason: string): void {
    const preferences = storedPreferences(row);
    const state = refreshState(row);
    if (preferences.autoRollback && row.status === "InProgress" && row.desiredConfiguration !== null) {
      refreshes.update(row, {
        status: "RollbackInProgress",
        statusReason: reason,
        state: {
          ...state,
          rollback: { reason, startTime: now(), percentageComplete: 0, instancesToUpdate: 0 },
        },
        event: "EC2 Auto Scaling Instance Refresh Failed",
      });
      return;
    }
    const status = row.status === "RollbackInProgress" ? "RollbackFailed" : "Failed";
    refreshes.update(row, {
      status,
      statusReason: reason,
      ...ended,
      event: "EC2 Auto Scaling Instance Refresh Failed",
    });
  }

  /** Takes the plan's instances out of service; one that has nothing to drain stops at once. */
  async function takeOut(ids: string[], pass: PassState): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const draining = registry.beginTermination(id, refreshCauses.replace(now(), id));
        log.info("instance refresh: replacing", { group: pass.groupName, instance: id, draining });
        if (!draining) {
          await launcher.terminateRuntime(id);
          registry.finishTermination(id);
          pass.outcome.terminated++;
        }
      }),
    );
  }

  /** One step of the group's active refresh, if any; answers whether one is still active. */
  return async function refreshStep(snapshot: GroupSnapshot, pass: PassState): Promise<boolean> {
    const active = refreshes.active(snapshot.group.name);
    if (!active) return false;
    let row: RefreshRow = active;
    const { group } = snapshot;
    const at = now();
    if (group.status !== null) {
      refreshes.update(row, {
        status: "Cancelled",
        statusReason: "The Auto Scaling group is being deleted.",
        ...ended,
      });
      return false;
    }
    const counted = snapshot.instances.filter(
      (i) => i.lifecycleState.startsWith("Pending") || i.lifecycleState === "InService",
    );
    if (row.status === "Cancelling") {
      // WaitForTransitioningInstances: instances still launching finish first.
      if (!counted.some((i) => i.lifecycleState.startsWith("Pending"))) {
        refreshes.update(row, {
          status: "Cancelled",
          ...ended,
          event: "EC2 Auto Scaling Instance Refresh Cancelled",
        });
        return false;
      }
      return true;
    }

    const preferences = storedPreferences(row);
    const state = refreshState(row);
    const rollingBack = row.status === "RollbackInProgress";
    const target = rollingBack ? snapshot.launchTemplate : refreshes.target(row);
    if (!target) {
      fail(row, "The launch template version of the desired configuration no longer exists.");
      return true;
    }
    if (row.status === "Baking") {
      pass.refresh = { id: row.id, surplus: 0, launchTemplate: target };
      if (at >= (state.doneAt ?? at) + (preferences.bakeTime ?? 0) * 1000) {
        refreshes.update(row, {
          status: "Successful",
          statusReason: null,
          ...ended,
          adoptConfiguration: true,
          event: "EC2 Auto Scaling Instance Refresh Succeeded",
        });
        return false;
      }
      return true;
    }
    if (!rollingBack) {
      const alarm = refreshes.alarming(preferences.alarmSpecification?.alarms ?? []);
      if (alarm !== undefined) {
        fail(row, `The instance refresh failed because the alarm ${alarm} went into the ALARM state.`);
        return true;
      }
    }

    const matches = (i: GroupSnapshot["instances"][number]) =>
      i.launchTemplateId === target.template.id && i.launchTemplateVersion === target.version.version;
    const rollbackStart = state.rollback?.startTime ?? 0;
    const instances: RefreshInstance[] = snapshot.instances.map((i) => {
      const healthySince = refreshes.healthySince(snapshot, i);
      return {
        instanceId: i.id,
        lifecycleState: i.lifecycleState,
        // Rolling back replaces what does not run the group's own configuration; a refresh, what it has
        // not launched itself (with SkipMatching, only what runs another configuration).
        outdated: rollingBack
          ? !matches(i)
          : i.refreshId !== row.id && (!preferences.skipMatching || !matches(i)),
        replacement: rollingBack ? i.launchedAt >= rollbackStart && matches(i) : i.refreshId === row.id,
        ...(healthySince !== undefined && { healthySince }),
        protectedFromScaleIn: i.protectedFromScaleIn,
        launchedAt: i.launchedAt,
      };
    });
    const planPreferences: RefreshPlanPreferences = {
      minHealthyPercentage: preferences.minHealthyPercentage,
      maxHealthyPercentage: preferences.maxHealthyPercentage,
      instanceWarmup:
        preferences.instanceWarmup ?? group.defaultInstanceWarmup ?? group.healthCheckGracePeriod,
      checkpointPercentages: rollingBack ? [] : (preferences.checkpointPercentages ?? []),
      checkpointDelay: preferences.checkpointDelay ?? 3600,
      scaleInProtectedInstances: preferences.scaleInProtectedInstances,
      standbyInstances: preferences.standbyInstances,
    };
    const outdatedCount = instances.filter((i) => i.outdated).length;
    if (row.status === "Pending") {
      refreshes.update(row, {
        status: "InProgress",
        instancesToUpdate: outdatedCount,
        state: { ...state, total: outdatedCount },
        event: "EC2 Auto Scaling Instance Refresh Started",
      });
      row = { ...row, status: "InProgress", state: { ...state, total: outdatedCount } };
    }
    const total = rollingBack
      ? (state.rollback?.total ?? outdatedCount)
      : (refreshState(row).total ?? outdatedCount);
    const plan = planRefresh({
      desired: group.desiredCapacity,
      instances,
      preferences: planPreferences,
      cursor: { total, ...(state.checkpoint && !rollingBack && { checkpoint: state.checkpoint }) },
      now: at,
    });

    const suspended = isSuspended(group, "InstanceRefresh");
    if (!suspended) await takeOut(plan.terminate, pass);
    // Suspended: nothing is replaced, and nothing is launched ahead either; what runs stays.
    const surplus = suspended
      ? Math.min(plan.surplus, Math.max(0, counted.length - group.desiredCapacity))
      : plan.surplus;
    pass.refresh = {
      id: row.id,
      surplus,
      launchTemplate: target,
      ...(surplus > 0 && { launchCause: refreshCauses.launch(at) }),
    };
    const statusReason = suspended
      ? "Waiting: the InstanceRefresh process is suspended."
      : (plan.waiting ?? null);
    const current = refreshState(row);
    if (rollingBack) {
      const rollback = current.rollback ?? {
        reason: "",
        startTime: at,
        percentageComplete: 0,
        instancesToUpdate: 0,
      };
      refreshes.update(row, {
        // The reason the rollback began (an alarm, a failure) stays unless the rollback itself waits.
        ...((suspended || plan.waiting !== undefined) && { statusReason }),
        state: {
          ...current,
          rollback: {
            ...rollback,
            total,
            percentageComplete: plan.percentageComplete,
            instancesToUpdate: plan.instancesToUpdate,
          },
        },
        ...(plan.done && !suspended && { status: "RollbackSuccessful", ...ended }),
      });
      return !(plan.done && !suspended);
    }
    const next = {
      ...current,
      ...(plan.checkpointReached !== undefined && {
        checkpoint: { percentage: plan.checkpointReached, reachedAt: at },
      }),
    };
    const progress = {
      statusReason,
      percentageComplete: plan.percentageComplete,
      instancesToUpdate: plan.instancesToUpdate,
      state: next,
      ...(plan.checkpointReached !== undefined && {
        event: "EC2 Auto Scaling Instance Refresh Checkpoint Reached",
      }),
    };
    if (plan.done && !suspended) {
      if ((preferences.bakeTime ?? 0) > 0) {
        refreshes.update(row, { ...progress, status: "Baking", state: { ...next, doneAt: at } });
        return true;
      }
      refreshes.update(row, {
        ...progress,
        status: "Successful",
        statusReason: null,
        ...ended,
        adoptConfiguration: true,
        event: "EC2 Auto Scaling Instance Refresh Succeeded",
      });
      return false;
    }
    refreshes.update(row, progress);
    return true;
  };
}
