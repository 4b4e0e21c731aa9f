import {
  check,
  checkActionResult,
  checkDefaultResult,
  checkHeartbeatTimeout,
  checkLifecycleHookName,
  checkLifecycleTransition,
  checkNotificationMetadata,
  defaultHeartbeatTimeoutSeconds,
  Errors,
  globalTimeoutSeconds,
  heartbeatDeadlineAfter,
  launchingTransition,
  lifecycleTransitions,
  maxLifecycleHooksPerGroup,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { iso, mutate, type ServiceContext } from "./context.ts";
import { findGroup } from "./group-view.ts";
import type { LifecycleActionRow } from "./lifecycle-actions.ts";
import type { Wire } from "./shapes/common.ts";
import type {
  CompleteLifecycleAction,
  LifecycleAction,
  LifecycleActionHeartbeat,
  LifecycleHook,
  LifecycleHookSpecification,
  PutLifecycleHook,
} from "./shapes/lifecycle-hooks.ts";

/*
 * PutLifecycleHook, DescribeLifecycleHooks, DeleteLifecycleHook, DescribeLifecycleHookTypes,
 * CompleteLifecycleAction and RecordLifecycleActionHeartbeat. A hook is configuration; what it does to
 * instances is the worker's (reconcile/pending-wait.ts, terminating-wait.ts), which this service wakes
 * by announcing the group when an action completes.
 */

const { lifecycleHooks, lifecycleActions } = schema;
type HookRow = typeof lifecycleHooks.$inferSelect;

function toHook(row: HookRow): LifecycleHook {
  return {
    lifecycleHookName: row.name,
    autoScalingGroupName: row.groupName,
    lifecycleTransition: row.transition,
    ...(row.notificationTargetArn !== null && { notificationTargetARN: row.notificationTargetArn }),
    ...(row.roleArn !== null && { roleARN: row.roleArn }),
    ...(row.notificationMetadata !== null && { notificationMetadata: row.notificationMetadata }),
    heartbeatTimeout: row.heartbeatTimeout,
    globalTimeout: row.globalTimeout,
    defaultResult: row.defaultResult,
  };
}

function toAction(row: LifecycleActionRow): LifecycleAction {
  return {
    lifecycleActionToken: row.token,
    autoScalingGroupName: row.groupName,
    lifecycleHookName: row.hookName,
    instanceId: row.instanceId,
    lifecycleTransition: row.transition,
    startTime: iso(row.startedAt),
    heartbeatDeadline: iso(row.heartbeatDeadline),
    globalDeadline: iso(row.globalDeadline),
    ...(row.result !== null && { result: row.result }),
  };
}

function findHook(db: Db | Tx, groupName: string, hookName: string): HookRow | undefined {
  return db
    .select()
    .from(lifecycleHooks)
    .where(and(eq(lifecycleHooks.groupName, groupName), eq(lifecycleHooks.name, hookName)))
    .get();
}

function hookNotFound(groupName: string, hookName: string) {
  return new Errors.ValidationError(
    `No Lifecycle Hook found with name ${hookName} for AutoScalingGroup ${groupName}`,
  );
}

/**
 * Writes (creates or updates) a hook of an existing group: the checks and the row of PutLifecycleHook,
 * shared with CreateAutoScalingGroup's LifecycleHookSpecificationList.
 */
export function writeLifecycleHook(
  ctx: ServiceContext,
  tx: Tx,
  groupName: string,
  hookName: string,
  input: Wire<PutLifecycleHook>,
): HookRow {
  checkLifecycleHookName(hookName);
  if (input.notificationMetadata !== undefined) checkNotificationMetadata(input.notificationMetadata);
  if (input.heartbeatTimeout !== undefined) checkHeartbeatTimeout(input.heartbeatTimeout, ctx.limits.fast);
  const existing = findHook(tx, groupName, hookName);
  const transition =
    input.lifecycleTransition !== undefined
      ? checkLifecycleTransition(input.lifecycleTransition)
      : existing?.transition;
  check(transition !== undefined, "LifecycleTransition must be specified when creating a lifecycle hook");
  const defaultResult =
    input.defaultResult !== undefined
      ? checkDefaultResult(input.defaultResult)
      : (existing?.defaultResult ?? "ABANDON");
  const heartbeatTimeout =
    input.heartbeatTimeout ?? existing?.heartbeatTimeout ?? defaultHeartbeatTimeoutSeconds;
  if (!existing) {
    const count =
      tx
        .select({ n: sql<number>`count(*)` })
        .from(lifecycleHooks)
        .where(eq(lifecycleHooks.groupName, groupName))
        .get()?.n ?? 0;
    if (count >= maxLifecycleHooksPerGroup) {
      throw new Errors.LimitExceeded(
        `Exceeded the maximum number of lifecycle hooks (${maxLifecycleHooksPerGroup}) for AutoScalingGroup ${groupName}`,
      );
    }
  }
  const row: HookRow = {
    groupName,
    name: hookName,
    transition,
    notificationTargetArn: input.notificationTargetARN ?? existing?.notificationTargetArn ?? null,
    roleArn: input.roleARN ?? existing?.roleArn ?? null,
    notificationMetadata: input.notificationMetadata ?? existing?.notificationMetadata ?? null,
    heartbeatTimeout,
    globalTimeout: globalTimeoutSeconds(heartbeatTimeout),
    defaultResult,
    createdAt: existing?.createdAt ?? ctx.now(),
  };
  if (existing) {
    tx.update(lifecycleHooks)
      .set(row)
      .where(and(eq(lifecycleHooks.groupName, groupName), eq(lifecycleHooks.name, hookName)))
      .run();
  } else tx.insert(lifecycleHooks).values(row).run();
  return row;
}

/** CreateAutoScalingGroup's hooks, written in its transaction so they hold the very first instances. */
export function writeHookSpecifications(
  ctx: ServiceContext,
  tx: Tx,
  groupName: string,
  specifications: ReadonlyArray<Wire<LifecycleHookSpecification>> | undefined,
): void {
  if (!specifications) return;
  const names = new Set<string>();
  for (const { lifecycleHookName, ...fields } of specifications) {
    check(!names.has(lifecycleHookName), `Duplicate lifecycle hook name ${lifecycleHookName}`);
    names.add(lifecycleHookName);
    writeLifecycleHook(ctx, tx, groupName, lifecycleHookName, fields);
  }
}

export function lifecycleHookService(ctx: ServiceContext) {
  /** The open action a completion or heartbeat means: by token, else by instance (AWS's errors). */
  function openAction(
    tx: Tx,
    groupName: string,
    hookName: string,
    ref: { lifecycleActionToken?: string; instanceId?: string },
  ): LifecycleActionRow {
    const group = findGroup(tx, groupName);
    if (!findHook(tx, group.name, hookName)) throw hookNotFound(group.name, hookName);
    const token = ref.lifecycleActionToken;
    check(
      token !== undefined || ref.instanceId !== undefined,
      "Either LifecycleActionToken or InstanceId must be specified",
    );
    const now = ctx.now();
    const scope = and(
      eq(lifecycleActions.groupName, group.name),
      eq(lifecycleActions.hookName, hookName),
      isNull(lifecycleActions.result),
    );
    const row =
      token !== undefined
        ? tx
            .select()
            .from(lifecycleActions)
            .where(and(scope, eq(lifecycleActions.token, token)))
            .get()
        : tx
            .select()
            .from(lifecycleActions)
            .where(and(scope, eq(lifecycleActions.instanceId, ref.instanceId ?? "")))
            .get();
    // An action past its deadline has ended with the hook's default result, whether or not the worker
    // has acted on it yet.
    if (!row || now >= row.heartbeatDeadline || now >= row.globalDeadline) {
      throw new Errors.ValidationError(
        token !== undefined
          ? `No active Lifecycle Action found with token ${token}`
          : `No active Lifecycle Action found with instance ID ${ref.instanceId ?? ""}`,
      );
    }
    return row;
  }

  return {
    /** PutLifecycleHook: creates the hook, or updates the members given. */
    put(groupName: string, hookName: string, input: Wire<PutLifecycleHook>): LifecycleHook {
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        return toHook(writeLifecycleHook(ctx, tx, group.name, hookName, input));
      });
    },

    /** DescribeLifecycleHooks: the group's hooks, or those of the names given (unknown names are left out). */
    describe(groupName: string, names?: string[]): LifecycleHook[] {
      check(names === undefined || names.length <= 50, "At most 50 lifecycle hook names can be given");
      const group = findGroup(ctx.db, groupName);
      return ctx.db
        .select()
        .from(lifecycleHooks)
        .where(
          and(
            eq(lifecycleHooks.groupName, group.name),
            names?.length ? inArray(lifecycleHooks.name, names) : undefined,
          ),
        )
        .orderBy(asc(lifecycleHooks.name))
        .all()
        .map(toHook);
    },

    get(groupName: string, hookName: string): LifecycleHook {
      const group = findGroup(ctx.db, groupName);
      const row = findHook(ctx.db, group.name, hookName);
      if (!row) throw hookNotFound(group.name, hookName);
      return toHook(row);
    },

    /**
     * DeleteLifecycleHook. Actions still open end first, as AWS ends them: ABANDON for launching
     * instances, CONTINUE for terminating ones.
     */
    delete(groupName: string, hookName: string): void {
      mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        const hook = findHook(tx, group.name, hookName);
        if (!hook) throw hookNotFound(group.name, hookName);
        const ended = tx
          .update(lifecycleActions)
          .set({ result: hook.transition === launchingTransition ? "ABANDON" : "CONTINUE" })
          .where(
            and(
              eq(lifecycleActions.groupName, group.name),
              eq(lifecycleActions.hookName, hookName),
              isNull(lifecycleActions.result),
            ),
          )
          .run();
        tx.delete(lifecycleHooks)
          .where(and(eq(lifecycleHooks.groupName, group.name), eq(lifecycleHooks.name, hookName)))
          .run();
        if (ended.changes > 0) announce.groups.push({ name: group.name, reason: "lifecycle hook deleted" });
      });
    },

    /** DescribeLifecycleHookTypes. */
    types(): string[] {
      return [...lifecycleTransitions];
    },

    /** CompleteLifecycleAction: the worker moves the instance on at its next pass, which this asks for. */
    complete(groupName: string, hookName: string, input: Wire<CompleteLifecycleAction>): void {
      const result = checkActionResult(input.lifecycleActionResult);
      mutate(ctx, (tx, announce) => {
        const action = openAction(tx, groupName, hookName, input);
        tx.update(lifecycleActions).set({ result }).where(eq(lifecycleActions.token, action.token)).run();
        announce.groups.push({ name: action.groupName, reason: `lifecycle action ${result}` });
      });
    },

    /** RecordLifecycleActionHeartbeat: the heartbeat timeout restarts, never past the global timeout. */
    heartbeat(groupName: string, hookName: string, input: Wire<LifecycleActionHeartbeat>): void {
      mutate(ctx, (tx) => {
        const action = openAction(tx, groupName, hookName, input);
        const hook = findHook(tx, action.groupName, action.hookName);
        if (!hook) throw hookNotFound(action.groupName, action.hookName);
        tx.update(lifecycleActions)
          .set({
            heartbeatDeadline: heartbeatDeadlineAfter(
              ctx.now(),
              hook.heartbeatTimeout,
              action.globalDeadline,
            ),
          })
          .where(eq(lifecycleActions.token, action.token))
          .run();
      });
    },

    /** The actions instances of the group wait on (REST only: AWS sends them as notifications). */
    actions(groupName: string): LifecycleAction[] {
      const group = findGroup(ctx.db, groupName);
      return ctx.db
        .select()
        .from(lifecycleActions)
        .where(eq(lifecycleActions.groupName, group.name))
        .orderBy(asc(lifecycleActions.startedAt), asc(lifecycleActions.instanceId))
        .all()
        .map(toAction);
    },
  };
}

export type LifecycleHookService = ReturnType<typeof lifecycleHookService>;
