import { describe, expect, it } from "vitest";
import {
  isRefreshReady,
  planRefresh,
  type RefreshCursor,
  type RefreshInstance,
  type RefreshPlanPreferences,
  refreshBounds,
  refreshTargets,
} from "./instance-refresh.ts";

const base: RefreshPlanPreferences = {
  minHealthyPercentage: 90,
  maxHealthyPercentage: 100,
  instanceWarmup: 2,
  checkpointPercentages: [],
  checkpointDelay: 0,
  scaleInProtectedInstances: "Ignore",
  standbyInstances: "Ignore",
};

const second = 1000;

function old(id: string, at = -3600 * second): RefreshInstance {
  return {
    instanceId: id,
    lifecycleState: "InService",
    outdated: true,
    replacement: false,
    healthySince: at,
    protectedFromScaleIn: false,
    launchedAt: at,
  };
}

interface Simulation {
  steps: number;
  lowestReady: number;
  highestCount: number;
  done: boolean;
  checkpoints: number[];
}

/**
 * A group under refresh, one plan a second: taken-out instances go at once, the capacity step launches
 * toward desired + surplus (or scales in the newest), and a launch is healthy `launchSeconds` later.
 */
function simulate(desired: number, preferences: RefreshPlanPreferences, launchSeconds = 3): Simulation {
  let instances: RefreshInstance[] = Array.from({ length: desired }, (_, i) => old(`i-old${i}`));
  const cursor: RefreshCursor = { total: refreshTargets(instances, preferences).length };
  let next = 0;
  const result: Simulation = {
    steps: 0,
    lowestReady: desired,
    highestCount: desired,
    done: false,
    checkpoints: [],
  };
  for (let t = 1; t < 400; t++) {
    const now = t * second;
    for (const i of instances) {
      if (i.lifecycleState === "Pending" && now >= i.launchedAt + launchSeconds * second) {
        i.lifecycleState = "InService";
        i.healthySince = now;
      }
    }
    const plan = planRefresh({ desired, instances, preferences, cursor, now });
    if (plan.checkpointReached !== undefined) {
      cursor.checkpoint = { percentage: plan.checkpointReached, reachedAt: now };
      result.checkpoints.push(plan.checkpointReached);
    }
    instances = instances.filter((i) => !plan.terminate.includes(i.instanceId));
    const readyNow = instances.filter((i) => isRefreshReady(i, preferences.instanceWarmup, now)).length;
    result.lowestReady = Math.min(result.lowestReady, readyNow);
    if (plan.done) {
      result.done = true;
      result.steps = t;
      return result;
    }
    const target = desired + plan.surplus;
    while (instances.length < target) {
      instances.push({
        instanceId: `i-new${next++}`,
        lifecycleState: "Pending",
        outdated: false,
        replacement: true,
        protectedFromScaleIn: false,
        launchedAt: now,
      });
    }
    // A scale-in takes the worst choice for the floor: a ready instance.
    while (instances.length > target) {
      const victim =
        instances.find((i) => isRefreshReady(i, preferences.instanceWarmup, now)) ?? instances[0];
      instances = instances.filter((i) => i !== victim);
    }
    const readyAfter = instances.filter((i) => isRefreshReady(i, preferences.instanceWarmup, now)).length;
    result.lowestReady = Math.min(result.lowestReady, readyAfter);
    result.highestCount = Math.max(result.highestCount, instances.length);
  }
  return result;
}

describe("refreshBounds", () => {
  it("rounds the floor up and the ceiling down", () => {
    expect(refreshBounds(4, { minHealthyPercentage: 90, maxHealthyPercentage: 100 })).toEqual({
      floor: 3,
      ceiling: 4,
    });
    expect(refreshBounds(4, { minHealthyPercentage: 50, maxHealthyPercentage: 100 })).toEqual({
      floor: 2,
      ceiling: 4,
    });
    expect(refreshBounds(4, { minHealthyPercentage: 100, maxHealthyPercentage: 200 })).toEqual({
      floor: 4,
      ceiling: 8,
    });
    expect(refreshBounds(3, { minHealthyPercentage: 100, maxHealthyPercentage: 150 })).toEqual({
      floor: 3,
      ceiling: 4,
    });
  });

  it("replaces one at a time when the range leaves no room (as AWS)", () => {
    expect(refreshBounds(1, { minHealthyPercentage: 90, maxHealthyPercentage: 100 }).floor).toBe(0);
    expect(refreshBounds(4, { minHealthyPercentage: 100, maxHealthyPercentage: 100 }).floor).toBe(3);
  });
});

describe("planRefresh", () => {
  it("terminates first within the floor when MaxHealthyPercentage is 100", () => {
    const instances = ["a", "b", "c", "d"].map((id) => old(id));
    const plan = planRefresh({
      desired: 4,
      instances,
      preferences: { ...base, minHealthyPercentage: 50 },
      cursor: { total: 4 },
      now: 10 * second,
    });
    expect(plan.terminate).toEqual(["a", "b"]);
    expect(plan.surplus).toBe(0);
    expect(plan.done).toBe(false);
  });

  it("launches before terminating when MaxHealthyPercentage is above 100", () => {
    const instances = ["a", "b", "c", "d"].map((id) => old(id));
    const plan = planRefresh({
      desired: 4,
      instances,
      preferences: { ...base, minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      cursor: { total: 4 },
      now: 10 * second,
    });
    expect(plan.terminate).toEqual([]);
    expect(plan.surplus).toBe(4);
  });

  it("does not count a replacement until it is warmed", () => {
    const replacement: RefreshInstance = {
      ...old("n"),
      outdated: false,
      replacement: true,
      healthySince: 9 * second,
    };
    const plan = planRefresh({
      desired: 2,
      instances: [old("a"), replacement],
      preferences: { ...base, minHealthyPercentage: 50, instanceWarmup: 5 },
      cursor: { total: 2 },
      now: 10 * second,
    });
    expect(plan.terminate).toEqual([]);
    expect(plan.percentageComplete).toBe(0);
    expect(plan.waiting).toBe(
      "Waiting for instances to warm up before continuing. For example: n is warming up.",
    );
  });

  it("leaves protected and standby instances alone when told to ignore them, waits when told to wait", () => {
    const instances = [old("a"), { ...old("p"), protectedFromScaleIn: true }];
    expect(refreshTargets(instances, base).map((i) => i.instanceId)).toEqual(["a"]);
    const waiting = planRefresh({
      desired: 2,
      instances: [{ ...old("p"), protectedFromScaleIn: true }],
      preferences: { ...base, scaleInProtectedInstances: "Wait" },
      cursor: { total: 1 },
      now: 0,
    });
    expect(waiting.terminate).toEqual([]);
    expect(waiting.waiting).toMatch(/protected/);
    expect(waiting.done).toBe(false);
  });

  it("succeeds at once when nothing is outdated", () => {
    const fresh = { ...old("a"), outdated: false };
    const plan = planRefresh({
      desired: 1,
      instances: [fresh],
      preferences: base,
      cursor: { total: 0 },
      now: 0,
    });
    expect(plan).toMatchObject({ done: true, percentageComplete: 100, instancesToUpdate: 0 });
  });

  const cases: Array<[string, number, Partial<RefreshPlanPreferences>]> = [
    ["min 50", 4, { minHealthyPercentage: 50 }],
    ["min 90 (default)", 4, {}],
    ["min 100 max 200", 4, { minHealthyPercentage: 100, maxHealthyPercentage: 200 }],
    ["min 100 max 150", 4, { minHealthyPercentage: 100, maxHealthyPercentage: 150 }],
    ["min 75 max 125, 8 instances", 8, { minHealthyPercentage: 75, maxHealthyPercentage: 125 }],
    ["min 0", 3, { minHealthyPercentage: 0 }],
    ["min 90, 10 instances, warm-up 0", 10, { instanceWarmup: 0 }],
    ["min 60 max 140, 5 instances", 5, { minHealthyPercentage: 60, maxHealthyPercentage: 140 }],
  ];
  for (const [name, desired, preferences] of cases) {
    it(`${name}: never below the floor, never above the ceiling, and finishes`, () => {
      const prefs = { ...base, ...preferences };
      const { floor, ceiling } = refreshBounds(desired, prefs);
      const run = simulate(desired, prefs);
      expect(run.done).toBe(true);
      expect(run.lowestReady).toBeGreaterThanOrEqual(floor);
      expect(run.highestCount).toBeLessThanOrEqual(ceiling);
    });
  }

  it("min 100 max 200 replaces everything in one batch; min 50 in two", () => {
    const oneBatch = simulate(4, { ...base, minHealthyPercentage: 100, maxHealthyPercentage: 200 });
    const twoBatches = simulate(4, { ...base, minHealthyPercentage: 50 });
    expect(oneBatch.steps).toBeLessThan(twoBatches.steps);
  });

  it("stops at each checkpoint for its delay", () => {
    const prefs = {
      ...base,
      minHealthyPercentage: 0,
      checkpointPercentages: [50, 100],
      checkpointDelay: 10,
    };
    const run = simulate(4, prefs);
    expect(run.done).toBe(true);
    expect(run.checkpoints).toEqual([50]);
    const without = simulate(4, { ...prefs, checkpointPercentages: [] });
    expect(run.steps).toBeGreaterThanOrEqual(without.steps + 10);
  });

  it("ends at a last checkpoint below 100", () => {
    const run = simulate(4, { ...base, minHealthyPercentage: 0, checkpointPercentages: [50] });
    expect(run.done).toBe(true);
    expect(run.checkpoints).toEqual([50]);
  });
});
