import { join } from "node:path";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { tempDir } from "@scaleout/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createContext, createServices, type Services } from "../src/index.ts";

/*
 * Scheduled actions firing over a real SQLite file with an injected clock: two workers (two connections,
 * as two worker processes have) both see a due action and only one applies it; the group changes as
 * UpdateAutoScalingGroup changes it, with AWS's cause; a recurring action moves on, a one-time one goes.
 */

let now = Date.UTC(2026, 11, 1, 10, 0, 0);
let temp: ReturnType<typeof tempDir>;
let handles: DbHandle[];
let first: Services;
let second: Services;

beforeEach(() => {
  now = Date.UTC(2026, 11, 1, 10, 0, 0);
  temp = tempDir();
  const file = join(temp.dir, "scaleout.db");
  handles = [createDb(file), createDb(file)];
  const [a, b] = handles;
  if (!a || !b) throw new Error("two handles");
  runMigrations(a.db);
  first = createServices(createContext(a.db, { now: () => now }));
  second = createServices(createContext(b.db, { now: () => now }));
  first.launchTemplates.create({ launchTemplateName: "tpl", image: "app" });
  first.groups.create({
    autoScalingGroupName: "web",
    launchTemplate: { launchTemplateName: "tpl" },
    minSize: 0,
    maxSize: 5,
    desiredCapacity: 1,
  });
});

afterEach(() => {
  for (const handle of handles) handle.close();
  temp.remove();
});

describe("firing scheduled actions", () => {
  test("exactly once with two workers, with AWS's cause, and a one-time action goes", () => {
    first.scheduledActions.put("web", {
      scheduledActionName: "morning",
      startTime: new Date(now + 60_000).toISOString(),
      minSize: 1,
      maxSize: 5,
      desiredCapacity: 3,
    });
    expect(first.scheduledActions.due()).toEqual([]);
    now += 60_000;
    const [seenByFirst] = first.scheduledActions.due();
    const [seenBySecond] = second.scheduledActions.due();
    if (!seenByFirst || !seenBySecond) throw new Error("both workers see the due action");
    const runs = [second.scheduledActions.fire(seenBySecond), first.scheduledActions.fire(seenByFirst)];
    expect(runs.map((r) => r.outcome)).toEqual(["applied", "taken"]);
    expect(runs[0]).toMatchObject({ from: 1, to: 3 });
    const group = first.groups.get("web");
    expect(group).toMatchObject({ minSize: 1, maxSize: 5, desiredCapacity: 3 });
    const row = handles[0]?.sqlite
      .prepare("SELECT capacity_cause AS cause FROM auto_scaling_groups")
      .get() as {
      cause: string;
    };
    expect(row.cause).toBe(
      "At 2026-12-01T10:01:00Z a scheduled action update of AutoScalingGroup constraints to min: 1, max: 5, desired: 3 changing the desired capacity from 1 to 3.",
    );
    expect(first.scheduledActions.list({ groupName: "web" }).items).toEqual([]);
  });

  test("a recurring action in its time zone moves to its next occurrence and stops after its end", () => {
    first.scheduledActions.put("web", {
      scheduledActionName: "evenings",
      recurrence: "0 18 * * *",
      timeZone: "America/New_York",
      endTime: "2026-12-03T00:00:00Z",
      desiredCapacity: 2,
    });
    // 18:00 in New York in December is 23:00Z.
    const [listed] = first.scheduledActions.list({ groupName: "web" }).items;
    expect(listed?.startTime).toBe("2026-12-01T23:00:00.000Z");
    now = Date.UTC(2026, 11, 1, 23, 0, 0, 400);
    const [due] = first.scheduledActions.due();
    if (!due) throw new Error("due");
    expect(first.scheduledActions.fire(due)).toMatchObject({
      outcome: "applied",
      nextRunAt: Date.UTC(2026, 11, 2, 23),
    });
    expect(first.groups.get("web").desiredCapacity).toBe(2);
    // The next run is past the end time: after it, the action goes.
    now = Date.UTC(2026, 11, 2, 23, 0, 1);
    const [last] = first.scheduledActions.due();
    if (!last) throw new Error("due again");
    expect(first.scheduledActions.fire(last).outcome).toBe("unchanged");
    expect(first.scheduledActions.list({ groupName: "web" }).items).toEqual([]);
  });

  test("an action the group's sizes refuse fails at its time, and is not tried again", () => {
    first.scheduledActions.put("web", {
      scheduledActionName: "too-small",
      startTime: new Date(now + 1_000).toISOString(),
      maxSize: 0,
    });
    first.groups.update("web", { minSize: 1 });
    now += 1_000;
    const [due] = first.scheduledActions.due();
    if (!due) throw new Error("due");
    const run = first.scheduledActions.fire(due);
    expect(run.outcome).toBe("failed");
    expect(run.reason).toMatch(/Max bound, 0, must be greater than or equal to min bound, 1/);
    expect(first.groups.get("web")).toMatchObject({ minSize: 1, maxSize: 5, desiredCapacity: 1 });
    expect(first.scheduledActions.due()).toEqual([]);
  });
});
