import {
  type ActionState,
  actionDeadlines,
  type LifecycleTransition,
  launchingTransition,
  newUuid,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq } from "drizzle-orm";
import type { Announcements, PlatformEvent, ServiceContext } from "./context.ts";

/*
 * Lifecycle actions: one row per instance and hook while the instance waits (Pending:Wait,
 * Terminating:Wait). The worker opens them when an instance reaches a hooked transition and publishes
 * the notification EventBridge would deliver; users complete them or record heartbeats
 * (lifecycle-hooks.ts); the worker reads how they stand and moves the instance on.
 */

const { lifecycleActions, lifecycleHooks, autoScalingGroups } = schema;
export type LifecycleActionRow = typeof lifecycleActions.$inferSelect;
type HookRow = typeof lifecycleHooks.$inferSelect;
type InstanceRow = typeof schema.instances.$inferSelect;

/** The detail-type of a lifecycle action's notification, by transition. */
export const lifecycleDetailTypes = {
  launching: "EC2 Instance-launch Lifecycle Action",
  terminating: "EC2 Instance-terminate Lifecycle Action",
} as const;

/** The notification of one action, with the JSON EventBridge delivers (detail-type, source, detail). */
export function lifecycleActionEvent(
  groupArn: string,
  action: LifecycleActionRow,
  hook: HookRow,
  /** A launch into the warm pool goes to WarmPool (AWS's Destination for Warmed:Pending:Wait). */
  destination?: "WarmPool",
): PlatformEvent {
  const launching = action.transition === launchingTransition;
  return {
    "detail-type": launching ? lifecycleDetailTypes.launching : lifecycleDetailTypes.terminating,
    source: "aws.autoscaling",
    resources: [groupArn],
    detail: {
      LifecycleActionToken: action.token,
      AutoScalingGroupName: action.groupName,
      LifecycleHookName: action.hookName,
      EC2InstanceId: action.instanceId,
      LifecycleTransition: action.transition,
      ...(hook.notificationMetadata !== null && { NotificationMetadata: hook.notificationMetadata }),
      Origin: launching ? "EC2" : "AutoScalingGroup",
      Destination: launching ? (destination ?? "AutoScalingGroup") : "EC2",
    },
  };
}

function hooksOf(db: Db | Tx, groupName: string, transition: LifecycleTransition): HookRow[] {
  return db
    .select()
    .from(lifecycleHooks)
    .where(and(eq(lifecycleHooks.groupName, groupName), eq(lifecycleHooks.transition, transition)))
    .orderBy(asc(lifecycleHooks.createdAt), asc(lifecycleHooks.name))
    .all();
}

/** Whether the group has hooks on this transition. */
export function hasHooks(db: Db | Tx, groupName: string, transition: LifecycleTransition): boolean {
  return hooksOf(db, groupName, transition).length > 0;
}

/**
 * Opens one action per hook of the transition for an instance (an action already open for a hook is
 * kept: a pass that repeats this after a crash opens nothing twice) and announces each new one.
 * Answers how many hooks hold the instance.
 */
export function openActions(
  ctx: ServiceContext,
  tx: Tx,
  announce: Announcements,
  instance: InstanceRow,
  transition: LifecycleTransition,
): number {
  const hooks = hooksOf(tx, instance.groupName, transition);
  if (hooks.length === 0) return 0;
  const group = tx
    .select({ arn: autoScalingGroups.arn })
    .from(autoScalingGroups)
    .where(eq(autoScalingGroups.name, instance.groupName))
    .get();
  const now = ctx.now();
  for (const hook of hooks) {
    const action: LifecycleActionRow = {
      token: newUuid(),
      instanceId: instance.id,
      groupName: instance.groupName,
      hookName: hook.name,
      transition,
      startedAt: now,
      ...actionDeadlines(now, hook),
      result: null,
    };
    const inserted = tx.insert(lifecycleActions).values(action).onConflictDoNothing().run();
    const toPool = instance.lifecycleState.startsWith("Warmed:") ? "WarmPool" : undefined;
    if (inserted.changes > 0 && group)
      announce.events.push(lifecycleActionEvent(group.arn, action, hook, toPool));
  }
  return hooks.length;
}

/** The actions an instance waits on for a transition, with their hooks' default results. */
export function actionStates(
  db: Db | Tx,
  instanceId: string,
  transition: LifecycleTransition,
): Array<ActionState & { token: string; hookName: string }> {
  return db
    .select({ action: lifecycleActions, defaultResult: lifecycleHooks.defaultResult })
    .from(lifecycleActions)
    .leftJoin(
      lifecycleHooks,
      and(
        eq(lifecycleHooks.groupName, lifecycleActions.groupName),
        eq(lifecycleHooks.name, lifecycleActions.hookName),
      ),
    )
    .where(and(eq(lifecycleActions.instanceId, instanceId), eq(lifecycleActions.transition, transition)))
    .orderBy(asc(lifecycleActions.startedAt), asc(lifecycleActions.hookName))
    .all()
    .map(({ action, defaultResult }) => ({
      token: action.token,
      hookName: action.hookName,
      result: action.result,
      heartbeatDeadline: action.heartbeatDeadline,
      globalDeadline: action.globalDeadline,
      // A hook deleted while its action was open: nothing will complete it. DeleteLifecycleHook sets
      // the result it ends with first, so this only covers a group deleted underneath.
      defaultResult: defaultResult ?? (transition === launchingTransition ? "ABANDON" : "CONTINUE"),
    }));
}

/** Every action of an instance goes (its wait is over, or it is terminated). */
export function clearActions(tx: Tx, instanceId: string): void {
  tx.delete(lifecycleActions).where(eq(lifecycleActions.instanceId, instanceId)).run();
}
