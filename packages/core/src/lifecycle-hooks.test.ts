import { describe, expect, test } from "vitest";
import {
  abandonedLaunchMessage,
  actionDeadlines,
  actionOutcome,
  checkHeartbeatTimeout,
  checkLifecycleHookName,
  globalTimeoutSeconds,
  heartbeatDeadlineAfter,
  waitDecision,
} from "./lifecycle-hooks.ts";

const open = (overrides: Partial<Parameters<typeof actionOutcome>[0]> = {}) => ({
  result: null,
  heartbeatDeadline: 10_000,
  globalDeadline: 100_000,
  defaultResult: "ABANDON",
  ...overrides,
});

describe("lifecycle hook timeouts", () => {
  test("the global timeout is 100 × the heartbeat timeout, at most 48 hours", () => {
    expect(globalTimeoutSeconds(30)).toBe(3_000);
    expect(globalTimeoutSeconds(3_600)).toBe(172_800);
    expect(globalTimeoutSeconds(7_200)).toBe(172_800);
    expect(globalTimeoutSeconds(1)).toBe(100);
  });

  test("an action's deadlines count from its start; heartbeats restart the heartbeat timeout up to the global one", () => {
    const hook = { heartbeatTimeout: 60, globalTimeout: 6_000 };
    expect(actionDeadlines(1_000, hook)).toEqual({ heartbeatDeadline: 61_000, globalDeadline: 6_001_000 });
    expect(heartbeatDeadlineAfter(50_000, 60, 6_001_000)).toBe(110_000);
    expect(heartbeatDeadlineAfter(5_990_000, 60, 6_001_000)).toBe(6_001_000);
    // A heartbeat timeout longer than the global one (never from PutLifecycleHook, but kept safe).
    expect(actionDeadlines(0, { heartbeatTimeout: 100, globalTimeout: 10 }).heartbeatDeadline).toBe(10_000);
  });

  test("HeartbeatTimeout is 30..7200 s, or from 1 s in fast mode", () => {
    expect(() => checkHeartbeatTimeout(29, false)).toThrow(/between 30 and 7200/);
    expect(() => checkHeartbeatTimeout(30, false)).not.toThrow();
    expect(() => checkHeartbeatTimeout(7_201, true)).toThrow(/between 1 and 7200/);
    expect(() => checkHeartbeatTimeout(1, true)).not.toThrow();
    expect(() => checkHeartbeatTimeout(1.5, true)).toThrow();
  });

  test("hook names are 1-255 characters of [A-Za-z0-9-_/]", () => {
    expect(() => checkLifecycleHookName("drain/web-1_a")).not.toThrow();
    expect(() => checkLifecycleHookName("")).toThrow(/length/);
    expect(() => checkLifecycleHookName("a".repeat(256))).toThrow(/length/);
    expect(() => checkLifecycleHookName("has space")).toThrow(/pattern/);
  });
});

describe("what an action resolves to", () => {
  test("a completed action ends with its result; an open one waits until a deadline, then takes DefaultResult", () => {
    expect(actionOutcome(open({ result: "CONTINUE" }), 0)).toEqual({
      result: "CONTINUE",
      reason: "completed",
    });
    expect(actionOutcome(open({ result: "ABANDON" }), 0)).toEqual({ result: "ABANDON", reason: "completed" });
    expect(actionOutcome(open(), 9_999)).toBeUndefined();
    expect(actionOutcome(open(), 10_000)).toEqual({ result: "ABANDON", reason: "timeout" });
    expect(actionOutcome(open({ defaultResult: "CONTINUE" }), 10_000)).toEqual({
      result: "CONTINUE",
      reason: "timeout",
    });
    // The global deadline holds even when a heartbeat deadline were later.
    expect(actionOutcome(open({ heartbeatDeadline: 200_000 }), 100_000)).toEqual({
      result: "ABANDON",
      reason: "timeout",
    });
  });

  test("an instance proceeds when every action continued, is abandoned by one ABANDON, and waits while one is open", () => {
    expect(waitDecision([], 0)).toEqual({ decision: "continue" });
    expect(waitDecision([open({ result: "CONTINUE" }), open({ result: "CONTINUE" })], 0)).toEqual({
      decision: "continue",
    });
    expect(
      waitDecision([open({ result: "CONTINUE" }), open({ heartbeatDeadline: 5_000 }), open()], 0),
    ).toEqual({
      decision: "wait",
    });
    // One ABANDON ends the wait at once, whatever the others do.
    const abandoned = waitDecision([open(), open({ result: "ABANDON" })], 0);
    expect(abandoned).toEqual({
      decision: "abandon",
      end: { result: "ABANDON", reason: "completed" },
      index: 1,
    });
    // A timed-out action with DefaultResult CONTINUE counts as continued.
    expect(waitDecision([open({ defaultResult: "CONTINUE" }), open({ result: "CONTINUE" })], 10_000)).toEqual(
      {
        decision: "continue",
      },
    );
  });

  test("AWS's status message of an abandoned launch says why", () => {
    expect(abandonedLaunchMessage("t-1", { result: "ABANDON", reason: "completed" })).toBe(
      "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token t-1 was abandoned: Lifecycle Action Completed with ABANDON Result",
    );
    expect(abandonedLaunchMessage("t-1", { result: "ABANDON", reason: "timeout" })).toMatch(
      /was abandoned: Heartbeat Timeout$/,
    );
  });
});
