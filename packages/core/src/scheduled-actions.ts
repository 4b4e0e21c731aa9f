import { CronExpressionParser } from "cron-parser";
import { check } from "./errors.ts";

/*
 * When a scheduled action (PutScheduledUpdateGroupAction) fires. A one-time action fires at its
 * StartTime. A recurring one follows a five-field Unix cron expression in its TimeZone (UTC by default):
 * with a StartTime it fires at that time first and then by the recurrence (the API reference: "performs
 * the action at this time, and then performs the action based on the specified recurrence"), and it never
 * fires after its EndTime. Times are Unix milliseconds.
 */

export interface Schedule {
  startTime?: number;
  endTime?: number;
  /** [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week] */
  recurrence?: string;
  /** An IANA time zone name the recurrence is read in. */
  timeZone?: string;
}

// One list item of a cron field: *, a number or a three-letter name, an optional range end, an optional
// step. AWS's recurrence is Unix cron: the extensions of other crons (L, W, #, ?, H) are refused.
const item = String.raw`(\*|\d{1,2}|[A-Za-z]{3})(-(\d{1,2}|[A-Za-z]{3}))?(/\d{1,2})?`;
const field = new RegExp(`^${item}(,${item})*$`);
// Area/Location names (and UTC, Etc/GMT+9): not the numeric offsets newer engines also accept.
const zoneName = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Refuses a recurrence that is not five valid Unix cron fields. */
export function checkRecurrence(recurrence: string): void {
  const fields = recurrence.trim().split(/\s+/);
  check(
    fields.length === 5 && fields.every((f) => field.test(f)),
    `Given recurrence string '${recurrence}' is invalid: use five fields, [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]`,
  );
  try {
    CronExpressionParser.parse(fields.join(" "), { tz: "UTC" });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    check(false, `Given recurrence string '${recurrence}' is invalid: ${reason}`);
  }
}

/** Refuses a time zone that is not an IANA name this runtime knows. */
export function checkTimeZone(timeZone: string): void {
  let known = zoneName.test(timeZone);
  if (known) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone });
    } catch {
      known = false;
    }
  }
  check(known, `Invalid time zone '${timeZone}': use a canonical IANA time zone name such as Europe/Paris`);
}

/** The first occurrence of the recurrence strictly after `after`, or undefined past the end. */
function occurrenceAfter(schedule: Schedule & { recurrence: string }, after: number): number | undefined {
  const expression = CronExpressionParser.parse(schedule.recurrence.trim().split(/\s+/).join(" "), {
    currentDate: new Date(after),
    tz: schedule.timeZone ?? "UTC",
  });
  let next: number;
  try {
    next = expression.next().getTime();
  } catch {
    return undefined; // no occurrence at all (cron-parser gives up after a bounded search)
  }
  return schedule.endTime !== undefined && next > schedule.endTime ? undefined : next;
}

/** When a new or updated action fires first, seen at `now`; undefined when it never will. */
export function firstRun(schedule: Schedule, now: number): number | undefined {
  if (schedule.recurrence === undefined) return schedule.startTime;
  if (schedule.startTime !== undefined && schedule.startTime >= now) return schedule.startTime;
  return occurrenceAfter({ ...schedule, recurrence: schedule.recurrence }, now);
}

/**
 * When an action that has just fired (at `now`) fires next: a one-time action never again; a recurring
 * one at its next occurrence after now (occurrences missed while nothing ran are not made up for).
 */
export function runAfter(schedule: Schedule, now: number): number | undefined {
  if (schedule.recurrence === undefined) return undefined;
  const from = Math.max(now, schedule.startTime ?? now);
  return occurrenceAfter({ ...schedule, recurrence: schedule.recurrence }, from);
}
