import { describe, expect, it } from "vitest";
import { refreshBounds } from "../instance-refresh.ts";
import { pauseSeconds, type RollingUpdate, rollingRefreshPreferences } from "./rolling-update.ts";

const rolling = (over: Partial<RollingUpdate> = {}): RollingUpdate => ({
  minInService: 0,
  maxBatchSize: 1,
  pauseSeconds: 0,
  waitOnResourceSignals: false,
  ...over,
});

/** The refresh's bounds, in instances, for these preferences: what the planner will hold to. */
const bounds = (desired: number, over: Partial<RollingUpdate>) =>
  refreshBounds(desired, rollingRefreshPreferences(desired, rolling(over)));

describe("AutoScalingRollingUpdate as instance refresh preferences", () => {
  it("takes out at most MaxBatchSize instances at a time", () => {
    expect(bounds(4, { maxBatchSize: 1 })).toEqual({ floor: 3, ceiling: 4 });
    expect(bounds(4, { maxBatchSize: 2 })).toEqual({ floor: 2, ceiling: 4 });
    expect(bounds(3, { maxBatchSize: 1 })).toEqual({ floor: 2, ceiling: 3 });
    expect(bounds(7, { maxBatchSize: 3 })).toEqual({ floor: 4, ceiling: 7 });
  });

  it("keeps MinInstancesInService in service, launching the batch first when it must", () => {
    expect(bounds(4, { minInService: 4, maxBatchSize: 1 })).toEqual({ floor: 4, ceiling: 5 });
    expect(bounds(4, { minInService: 4, maxBatchSize: 2 })).toEqual({ floor: 4, ceiling: 6 });
    expect(bounds(4, { minInService: 3, maxBatchSize: 2 })).toEqual({ floor: 3, ceiling: 5 });
    expect(bounds(1, { minInService: 1 })).toEqual({ floor: 1, ceiling: 2 });
    expect(bounds(3, { minInService: 1, maxBatchSize: 1 })).toEqual({ floor: 2, ceiling: 3 });
  });

  it("stays within a refresh's limits (MaxHealthy 100-200, at most 100 points above MinHealthy)", () => {
    for (let desired = 1; desired <= 12; desired++)
      for (let min = 0; min <= desired; min++)
        for (const batch of [1, 2, 3, 5, 20]) {
          const p = rollingRefreshPreferences(desired, rolling({ minInService: min, maxBatchSize: batch }));
          expect(p.minHealthyPercentage).toBeGreaterThanOrEqual(0);
          expect(p.minHealthyPercentage).toBeLessThanOrEqual(100);
          expect(p.maxHealthyPercentage).toBeGreaterThanOrEqual(100);
          expect(p.maxHealthyPercentage).toBeLessThanOrEqual(200);
          expect(p.maxHealthyPercentage - p.minHealthyPercentage).toBeLessThanOrEqual(100);
          const { floor, ceiling } = refreshBounds(desired, p);
          expect(floor).toBeGreaterThanOrEqual(Math.min(min, ceiling - 1));
          expect(ceiling - floor).toBeLessThanOrEqual(Math.max(1, batch));
        }
  });

  it("reads PauseTime as the warm-up, unless signals are awaited", () => {
    expect(pauseSeconds("PT1H30M5S")).toBe(5405);
    expect(pauseSeconds("5 minutes")).toBe(0);
    expect(rollingRefreshPreferences(2, rolling({ pauseSeconds: 60 })).instanceWarmup).toBe(60);
    expect(
      rollingRefreshPreferences(2, rolling({ pauseSeconds: 60, waitOnResourceSignals: true })).instanceWarmup,
    ).toBe(0);
  });
});
