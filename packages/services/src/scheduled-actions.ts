import {
  AwsError,
  arns,
  check,
  checkPageSize,
  checkRecurrence,
  checkTimeZone,
  decodeToken,
  Errors,
  firstRun,
  isSuspended,
  type Page,
  pageOf,
  runAfter,
  type Schedule,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, inArray, lte } from "drizzle-orm";
import { iso, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity, constraintsCause, resolveSizes } from "./group-capacity.ts";
import { findGroup } from "./group-view.ts";
import type { Wire } from "./shapes/common.ts";
import type {
  FailedScheduledAction,
  ScheduledAction,
  ScheduledActionRequest,
} from "./shapes/scheduled-actions.ts";

/*
 * Scheduled actions (PutScheduledUpdateGroupAction and its kin): one-time or recurring changes of a
 * group's minimum, maximum and desired capacity. `next_run_at` is when one fires next; the worker's
 * run-scheduled-actions job calls `runDue`, which claims each due action with a conditional update of
 * that column, so two workers never fire one occurrence twice.
 */

const { scheduledActions, autoScalingGroups } = schema;
type ActionRow = typeof scheduledActions.$inferSelect;

/** Auto Scaling's quota: scheduled actions per group. */
export const maxScheduledActionsPerGroup = 125;
/** The batch operations take at most this many actions. */
const maxBatch = 50;

/** What either door hands over for one action; `time` is the deprecated name of `startTime`. */
export type ScheduledActionInput = Wire<ScheduledActionRequest> & { time?: string };

/** What one firing did, for the worker's log. */
export interface ScheduledRun {
  groupName: string;
  scheduledActionName: string;
  outcome: "applied" | "unchanged" | "suspended" | "failed" | "taken";
  from?: number;
  to?: number;
  reason?: string;
  nextRunAt?: number;
}

function parseTime(value: string | undefined, member: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  check(Number.isFinite(ms), `${member} '${value}' is not a valid timestamp`);
  return ms;
}

function checkSize(value: number | undefined, member: string): void {
  if (value === undefined) return;
  check(
    Number.isInteger(value) && value >= 0 && value <= 10000,
    `${member} must be an integer between 0 and 10000`,
  );
}

/** AWS's checks of one action, at `now`: the row to write but its group, ARN and creation time. */
function settingsOf(input: ScheduledActionInput, now: number) {
  const name = input.scheduledActionName;
  check(
    typeof name === "string" && name.length >= 1 && name.length <= 255,
    "ScheduledActionName must be 1 to 255 characters",
  );
  checkSize(input.minSize, "MinSize");
  checkSize(input.maxSize, "MaxSize");
  checkSize(input.desiredCapacity, "DesiredCapacity");
  check(
    input.minSize !== undefined || input.maxSize !== undefined || input.desiredCapacity !== undefined,
    "At least one of MinSize, MaxSize or DesiredCapacity must be specified",
  );
  const { minSize, maxSize, desiredCapacity } = input;
  if (minSize !== undefined && maxSize !== undefined)
    check(
      minSize <= maxSize,
      `Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`,
    );
  if (desiredCapacity !== undefined) {
    check(
      (minSize === undefined || desiredCapacity >= minSize) &&
        (maxSize === undefined || desiredCapacity <= maxSize),
      `Desired capacity:${desiredCapacity} must be between the specified min size:${minSize ?? "-"} and max size:${maxSize ?? "-"}`,
    );
  }
  const time = parseTime(input.time, "Time");
  const given = parseTime(input.startTime, "StartTime");
  check(
    time === undefined || given === undefined || time === given,
    "Time and StartTime must not differ: Time is the deprecated name of StartTime",
  );
  const startTime = given ?? time;
  const endTime = parseTime(input.endTime, "EndTime");
  if (input.recurrence !== undefined) checkRecurrence(input.recurrence);
  if (input.timeZone !== undefined) checkTimeZone(input.timeZone);
  check(
    startTime !== undefined || input.recurrence !== undefined,
    "A scheduled action needs a StartTime (one-time) or a Recurrence",
  );
  if (startTime !== undefined) check(startTime >= now, "Given start time is in the past");
  if (endTime !== undefined) {
    check(endTime > now, "Given end time is in the past");
    check(startTime === undefined || endTime > startTime, "Start time must be before the end time");
  }
  const schedule: Schedule = {
    ...(startTime !== undefined && { startTime }),
    ...(endTime !== undefined && { endTime }),
    ...(input.recurrence !== undefined && { recurrence: input.recurrence.trim() }),
    ...(input.timeZone !== undefined && { timeZone: input.timeZone }),
  };
  const nextRunAt = firstRun(schedule, now);
  check(nextRunAt !== undefined, "The recurrence has no occurrence before the end time");
  return {
    name,
    startTime: startTime ?? null,
    endTime: endTime ?? null,
    recurrence: schedule.recurrence ?? null,
    timeZone: input.timeZone ?? null,
    minSize: minSize ?? null,
    maxSize: maxSize ?? null,
    desiredCapacity: desiredCapacity ?? null,
    nextRunAt,
  };
}

function scheduleOf(row: ActionRow): Schedule {
  return {
    ...(row.startTime !== null && { startTime: row.startTime }),
    ...(row.endTime !== null && { endTime: row.endTime }),
    ...(row.recurrence !== null && { recurrence: row.recurrence }),
    ...(row.timeZone !== null && { timeZone: row.timeZone }),
  };
}

/** As DescribeScheduledActions shows it: StartTime (and the deprecated Time) is the next run. */
export function toScheduledAction(row: ActionRow): ScheduledAction {
  const next = row.nextRunAt ?? row.startTime;
  return {
    autoScalingGroupName: row.groupName,
    scheduledActionName: row.name,
    scheduledActionARN: row.arn,
    ...(next !== null && { time: iso(next), startTime: iso(next) }),
    ...(row.endTime !== null && { endTime: iso(row.endTime) }),
    ...(row.recurrence !== null && { recurrence: row.recurrence }),
    ...(row.minSize !== null && { minSize: row.minSize }),
    ...(row.maxSize !== null && { maxSize: row.maxSize }),
    ...(row.desiredCapacity !== null && { desiredCapacity: row.desiredCapacity }),
    ...(row.timeZone !== null && { timeZone: row.timeZone }),
  };
}

const notFound = (name: string) => new Errors.ValidationError(`Scheduled action name not found - ${name}`);

function findAction(db: Db | Tx, groupName: string, name: string): ActionRow | undefined {
  return db
    .select()
    .from(scheduledActions)
    .where(and(eq(scheduledActions.groupName, groupName), eq(scheduledActions.name, name)))
    .get();
}

/** Creates or replaces one action of a group (in the caller's transaction). */
function writeAction(ctx: ServiceContext, tx: Tx, groupName: string, input: ScheduledActionInput): ActionRow {
  const now = ctx.now();
  const settings = settingsOf(input, now);
  const existing = findAction(tx, groupName, settings.name);
  if (!existing) {
    const count = tx
      .select({ name: scheduledActions.name })
      .from(scheduledActions)
      .where(eq(scheduledActions.groupName, groupName))
      .all().length;
    if (count >= maxScheduledActionsPerGroup) {
      throw new Errors.LimitExceeded(
        `Maximum number of scheduled actions per group (${maxScheduledActionsPerGroup}) reached for AutoScalingGroup ${groupName}`,
      );
    }
  }
  const { name, ...fields } = settings;
  const row: ActionRow = {
    groupName,
    name,
    arn: existing?.arn ?? arns.scheduledAction(ctx.partition, groupName, name),
    ...fields,
    createdAt: existing?.createdAt ?? now,
  };
  tx.insert(scheduledActions)
    .values(row)
    .onConflictDoUpdate({ target: [scheduledActions.groupName, scheduledActions.name], set: fields })
    .run();
  return row;
}

function failure(name: string, error: unknown): FailedScheduledAction {
  if (error instanceof AwsError)
    return { scheduledActionName: name, errorCode: error.code, errorMessage: error.message };
  throw error;
}

export function scheduledActionService(ctx: ServiceContext) {
  return {
    /** PutScheduledUpdateGroupAction: creates the action, or replaces the one of that name. */
    put(groupName: string, input: ScheduledActionInput): { action: ScheduledAction; created: boolean } {
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const created = !findAction(tx, group.name, input.scheduledActionName);
        return { action: toScheduledAction(writeAction(ctx, tx, group.name, input)), created };
      });
    },

    /**
     * BatchPutScheduledUpdateGroupAction: each action that cannot be written is answered in
     * FailedScheduledUpdateGroupActions; the others are written. A name given twice fails the second time.
     */
    batchPut(groupName: string, inputs: ScheduledActionInput[] | undefined): FailedScheduledAction[] {
      check(
        Array.isArray(inputs) && inputs.length >= 1 && inputs.length <= maxBatch,
        `ScheduledUpdateGroupActions must hold 1 to ${maxBatch} actions`,
      );
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const failed: FailedScheduledAction[] = [];
        const seen = new Set<string>();
        for (const input of inputs) {
          const name = input.scheduledActionName;
          if (seen.has(name)) {
            failed.push({
              scheduledActionName: name,
              errorCode: "AlreadyExists",
              errorMessage: `Scheduled action ${name} is given more than once in this request`,
            });
            continue;
          }
          seen.add(name);
          try {
            writeAction(ctx, tx, group.name, input);
          } catch (error) {
            failed.push(failure(name, error));
          }
        }
        return failed;
      });
    },

    get(groupName: string, name: string): ScheduledAction {
      const group = findGroup(ctx.db, groupName);
      const row = findAction(ctx.db, group.name, name);
      if (!row) throw notFound(name);
      return toScheduledAction(row);
    },

    /**
     * DescribeScheduledActions: by group (or all groups), by name (unknown names are ignored), and by
     * the window their next run falls in (ignored when names are given, as AWS does).
     */
    list(
      options: {
        groupName?: string;
        names?: string[];
        startTime?: string;
        endTime?: string;
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<ScheduledAction> {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      check((options.names?.length ?? 0) <= maxBatch, `At most ${maxBatch} ScheduledActionNames`);
      const groupName =
        options.groupName === undefined ? undefined : findGroup(ctx.db, options.groupName).name;
      const byName = options.names !== undefined && options.names.length > 0;
      const from = byName ? undefined : parseTime(options.startTime, "StartTime");
      const to = byName ? undefined : parseTime(options.endTime, "EndTime");
      const key = (row: ActionRow) => `${row.groupName}\u0000${row.name}`;
      const rows = ctx.db
        .select()
        .from(scheduledActions)
        .where(
          and(
            groupName === undefined ? undefined : eq(scheduledActions.groupName, groupName),
            byName ? inArray(scheduledActions.name, options.names ?? []) : undefined,
          ),
        )
        .orderBy(asc(scheduledActions.groupName), asc(scheduledActions.name))
        .all()
        .filter((row) => {
          const next = row.nextRunAt ?? row.startTime;
          if (from !== undefined && (next === null || next < from)) return false;
          if (to !== undefined && (next === null || next > to)) return false;
          return after === undefined || key(row) > after;
        });
      const page = pageOf(rows.slice(0, pageSize + 1), pageSize, key);
      return { ...page, items: page.items.map(toScheduledAction) };
    },

    /** DeleteScheduledAction. */
    delete(groupName: string, name: string): void {
      mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        if (!findAction(tx, group.name, name)) throw notFound(name);
        tx.delete(scheduledActions)
          .where(and(eq(scheduledActions.groupName, group.name), eq(scheduledActions.name, name)))
          .run();
      });
    },

    /** BatchDeleteScheduledAction: the names not found are answered in FailedScheduledActions. */
    batchDelete(groupName: string, names: string[] | undefined): FailedScheduledAction[] {
      check(
        Array.isArray(names) && names.length >= 1 && names.length <= maxBatch,
        `ScheduledActionNames must hold 1 to ${maxBatch} names`,
      );
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const failed: FailedScheduledAction[] = [];
        for (const name of names) {
          if (!findAction(tx, group.name, name)) {
            failed.push(failure(name, notFound(name)));
            continue;
          }
          tx.delete(scheduledActions)
            .where(and(eq(scheduledActions.groupName, group.name), eq(scheduledActions.name, name)))
            .run();
        }
        return failed;
      });
    },

    /** The actions due at `now` (the worker's periodic job), earliest first. */
    due(limit = 100): ActionRow[] {
      return ctx.db
        .select()
        .from(scheduledActions)
        .where(lte(scheduledActions.nextRunAt, ctx.now()))
        .orderBy(asc(scheduledActions.nextRunAt))
        .limit(limit)
        .all();
    },

    /**
     * Fires one due action, if no other worker has: the claim (moving `next_run_at` on, or deleting a
     * one-time action, as AWS deletes it once it has run) and the change of the group's sizes commit in
     * one transaction, conditional on the `next_run_at` this worker saw. While the group's ScheduledActions
     * process is suspended, a due action is skipped, not held for later: a one-time action goes, a
     * recurring one waits for its next occurrence.
     */
    fire(seen: ActionRow): ScheduledRun {
      const now = ctx.now();
      const named = { groupName: seen.groupName, scheduledActionName: seen.name };
      return mutate(ctx, (tx, announce): ScheduledRun => {
        if (seen.nextRunAt === null) return { ...named, outcome: "taken" };
        const claim = and(
          eq(scheduledActions.groupName, seen.groupName),
          eq(scheduledActions.name, seen.name),
          eq(scheduledActions.nextRunAt, seen.nextRunAt),
        );
        const row = tx.select().from(scheduledActions).where(claim).get();
        if (!row) return { ...named, outcome: "taken" };
        const next = runAfter(scheduleOf(row), now);
        if (next === undefined) tx.delete(scheduledActions).where(claim).run();
        else tx.update(scheduledActions).set({ nextRunAt: next }).where(claim).run();
        const scheduled = next === undefined ? {} : { nextRunAt: next };

        const group = tx
          .select()
          .from(autoScalingGroups)
          .where(eq(autoScalingGroups.name, row.groupName))
          .get();
        if (!group || group.status !== null)
          return { ...named, ...scheduled, outcome: "failed", reason: "the group is being deleted" };
        if (isSuspended(group, "ScheduledActions"))
          return { ...named, ...scheduled, outcome: "suspended", reason: "ScheduledActions is suspended" };
        let sizes: ReturnType<typeof resolveSizes>;
        try {
          sizes = resolveSizes(group, {
            minSize: row.minSize ?? undefined,
            maxSize: row.maxSize ?? undefined,
            desiredCapacity: row.desiredCapacity ?? undefined,
          });
        } catch (error) {
          if (!(error instanceof AwsError)) throw error;
          return { ...named, ...scheduled, outcome: "failed", reason: error.message };
        }
        tx.update(autoScalingGroups)
          .set({ minSize: sizes.minSize, maxSize: sizes.maxSize })
          .where(eq(autoScalingGroups.name, group.name))
          .run();
        const changed = changeDesiredCapacity(
          tx,
          announce,
          group,
          sizes.desiredCapacity,
          constraintsCause("a scheduled action", now, sizes),
        );
        return {
          ...named,
          ...scheduled,
          outcome: changed ? "applied" : "unchanged",
          from: group.desiredCapacity,
          to: sizes.desiredCapacity,
        };
      });
    },
  };
}

export type ScheduledActionService = ReturnType<typeof scheduledActionService>;
