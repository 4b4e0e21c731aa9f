import { describe, expect, it } from "vitest";
import { checkRecurrence, checkTimeZone, firstRun, runAfter } from "./scheduled-actions.ts";

const at = (iso: string) => Date.parse(iso);
const isoOf = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("scheduled action runs", () => {
  it("fires a one-time action at its start time, once", () => {
    const schedule = { startTime: at("2026-12-01T10:00:00Z") };
    expect(isoOf(firstRun(schedule, at("2026-12-01T09:00:00Z")))).toBe("2026-12-01T10:00:00.000Z");
    expect(runAfter(schedule, at("2026-12-01T10:00:01Z"))).toBeUndefined();
  });

  it("follows a recurrence in UTC by default, strictly after the last run", () => {
    const schedule = { recurrence: "*/15 * * * *" };
    expect(isoOf(firstRun(schedule, at("2026-12-01T10:07:00Z")))).toBe("2026-12-01T10:15:00.000Z");
    expect(isoOf(runAfter(schedule, at("2026-12-01T10:15:00Z")))).toBe("2026-12-01T10:30:00.000Z");
  });

  it("fires at the start time first, then by the recurrence", () => {
    const schedule = { startTime: at("2026-12-01T10:07:00Z"), recurrence: "0 * * * *" };
    expect(isoOf(firstRun(schedule, at("2026-12-01T09:00:00Z")))).toBe("2026-12-01T10:07:00.000Z");
    expect(isoOf(runAfter(schedule, at("2026-12-01T10:07:00.300Z")))).toBe("2026-12-01T11:00:00.000Z");
  });

  it("does not make up for occurrences missed while nothing ran", () => {
    const schedule = { recurrence: "0 * * * *" };
    expect(isoOf(runAfter(schedule, at("2026-12-01T15:20:00Z")))).toBe("2026-12-01T16:00:00.000Z");
  });

  it("stops at the end time", () => {
    const schedule = { recurrence: "0 0 * * *", endTime: at("2026-12-02T12:00:00Z") };
    expect(isoOf(firstRun(schedule, at("2026-12-01T10:00:00Z")))).toBe("2026-12-02T00:00:00.000Z");
    expect(runAfter(schedule, at("2026-12-02T00:00:00Z"))).toBeUndefined();
  });

  it("reads the recurrence in its time zone, across daylight saving changes", () => {
    // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer (clocks went forward on 2026-03-29).
    const paris = { recurrence: "0 9 * * *", timeZone: "Europe/Paris" };
    expect(isoOf(firstRun(paris, at("2026-03-28T12:00:00Z")))).toBe("2026-03-29T07:00:00.000Z");
    expect(isoOf(firstRun(paris, at("2026-03-27T12:00:00Z")))).toBe("2026-03-28T08:00:00.000Z");
    // 02:30 does not exist in New York on 2026-03-08: the run happens once, at 03:30 EDT.
    const newYork = { recurrence: "30 2 * * *", timeZone: "America/New_York" };
    expect(isoOf(firstRun(newYork, at("2026-03-07T12:00:00Z")))).toBe("2026-03-08T07:30:00.000Z");
    expect(isoOf(runAfter(newYork, at("2026-03-08T07:30:00Z")))).toBe("2026-03-09T06:30:00.000Z");
    // 01:30 happens twice on 2026-11-01 (clocks went back): the action runs once, at the first.
    const fallBack = { recurrence: "30 1 * * *", timeZone: "America/New_York" };
    expect(isoOf(firstRun(fallBack, at("2026-10-31T12:00:00Z")))).toBe("2026-11-01T05:30:00.000Z");
    expect(isoOf(runAfter(fallBack, at("2026-11-01T05:30:00Z")))).toBe("2026-11-02T06:30:00.000Z");
  });

  it("accepts Unix cron and refuses what is not", () => {
    for (const ok of ["30 0 1 1,6,12 *", "0 9 * * MON-FRI", "*/5 8-17 * JAN-MAR 1-5", "0 0 * * 7"]) {
      expect(() => checkRecurrence(ok), ok).not.toThrow();
    }
    for (const bad of [
      "0 0 * *",
      "0 0 0 * * *",
      "61 * * * *",
      "0 0 31 2 *",
      "0 0 L * *",
      "0 0 ? * 1#2",
      "",
    ]) {
      expect(() => checkRecurrence(bad), bad).toThrow(/recurrence/);
    }
  });

  it("accepts IANA time zone names only", () => {
    for (const ok of ["UTC", "Etc/GMT+9", "Pacific/Tahiti", "America/Argentina/Buenos_Aires"]) {
      expect(() => checkTimeZone(ok), ok).not.toThrow();
    }
    for (const bad of ["Mars/Base", "+01:00", "", "Europe/"]) {
      expect(() => checkTimeZone(bad), bad).toThrow(/time zone/);
    }
  });
});
