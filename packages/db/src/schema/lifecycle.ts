import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { autoScalingGroups } from "./auto-scaling.ts";

/* The instance lifecycle of EC2 Auto Scaling: lifecycle hooks and their waiting actions, scheduled actions, warm pools and instance refreshes. */

/** PutLifecycleHook: a pause on launch or termination of a group's instances. */
export const lifecycleHooks = sqliteTable(
  "lifecycle_hooks",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** autoscaling:EC2_INSTANCE_LAUNCHING | autoscaling:EC2_INSTANCE_TERMINATING */
    transition: text("transition").notNull(),
    notificationTargetArn: text("notification_target_arn"),
    roleArn: text("role_arn"),
    notificationMetadata: text("notification_metadata"),
    heartbeatTimeout: integer("heartbeat_timeout").notNull(),
    globalTimeout: integer("global_timeout").notNull(),
    /** CONTINUE | ABANDON */
    defaultResult: text("default_result").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.name] })],
);

/**
 * One instance waiting on one hook (Pending:Wait or Terminating:Wait); the row goes when the action
 * completes. `token` is the LifecycleActionToken.
 */
export const lifecycleActions = sqliteTable(
  "lifecycle_actions",
  {
    token: text("token").primaryKey(),
    instanceId: text("instance_id").notNull(),
    groupName: text("group_name").notNull(),
    hookName: text("hook_name").notNull(),
    transition: text("transition").notNull(),
    startedAt: integer("started_at").notNull(),
    /** Heartbeat deadline: RecordLifecycleActionHeartbeat moves it; past it, DefaultResult applies. */
    heartbeatDeadline: integer("heartbeat_deadline").notNull(),
    /** startedAt + the hook's global timeout: no heartbeat extends past it. */
    globalDeadline: integer("global_deadline").notNull(),
    /** CONTINUE | ABANDON once completed (or timed out), until the worker has acted on it. */
    result: text("result"),
  },
  (t) => [
    index("lifecycle_actions_instance").on(t.instanceId),
    uniqueIndex("lifecycle_actions_instance_hook").on(t.instanceId, t.hookName, t.transition),
  ],
);

/** PutScheduledUpdateGroupAction: a one-time or recurring change of min, max and desired. */
export const scheduledActions = sqliteTable(
  "scheduled_actions",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    arn: text("arn").notNull().unique(),
    startTime: integer("start_time"),
    endTime: integer("end_time"),
    /** Unix cron (five fields), evaluated in `timeZone`. */
    recurrence: text("recurrence"),
    timeZone: text("time_zone"),
    minSize: integer("min_size"),
    maxSize: integer("max_size"),
    desiredCapacity: integer("desired_capacity"),
    /** When it fires next; null once a one-time action has run or a recurrence has passed its end. */
    nextRunAt: integer("next_run_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.name] }), index("scheduled_actions_next").on(t.nextRunAt)],
);

/** PutWarmPool: instances prepared ahead of scale-out, one pool a group. */
export const warmPools = sqliteTable("warm_pools", {
  groupName: text("group_name")
    .primaryKey()
    .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
  minSize: integer("min_size").notNull(),
  /** Null: the group's MaxSize (AWS's -1 / unset). */
  maxGroupPreparedCapacity: integer("max_group_prepared_capacity"),
  /** Stopped | Running | Hibernated */
  poolState: text("pool_state").notNull(),
  reuseOnScaleIn: integer("reuse_on_scale_in", { mode: "boolean" }).notNull(),
  /** Null, or PendingDelete while DeleteWarmPool empties it. */
  status: text("status"),
  createdAt: integer("created_at").notNull(),
});

/**
 * StartInstanceRefresh. `preferences` and `desiredConfiguration` are the request's (camelCase); the
 * refresh's own progress (batches, checkpoints, what rollback restores) lives in `state`.
 */
export const instanceRefreshes = sqliteTable(
  "instance_refreshes",
  {
    id: text("id").primaryKey(),
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    /** Pending | InProgress | Successful | Failed | Cancelling | Cancelled | RollbackInProgress | RollbackFailed | RollbackSuccessful | Baking */
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    strategy: text("strategy").notNull(),
    preferences: text("preferences", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    desiredConfiguration: text("desired_configuration", { mode: "json" }).$type<Record<string, unknown>>(),
    percentageComplete: integer("percentage_complete").notNull(),
    instancesToUpdate: integer("instances_to_update").notNull(),
    state: text("state", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    startTime: integer("start_time"),
    endTime: integer("end_time"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("instance_refreshes_group").on(t.groupName, t.createdAt)],
);
