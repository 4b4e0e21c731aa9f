import { describe, expect, it } from "vitest";
import {
  normalizeWarmPool,
  type PoolInstance,
  planWarmPool,
  takeFromPool,
  warmPoolTargetSize,
} from "./warm-pool.ts";

/*
 * Expectations come from the API reference of PutWarmPool and the user guide's "Warm pools" chapter: the
 * pool keeps MaxGroupPreparedCapacity (or MaxSize) minus the desired capacity, at least MinSize; -1 unsets
 * MaxGroupPreparedCapacity; PoolState defaults to Stopped; an update keeps what it does not name.
 */

const pool = (id: string, state: string, launchedAt: number, current = true): PoolInstance => ({
  instanceId: id,
  lifecycleState: state,
  launchedAt,
  current,
});

describe("warmPoolTargetSize", () => {
  it("is MaxSize less desired when MaxGroupPreparedCapacity is unset", () => {
    expect(
      warmPoolTargetSize({ minSize: 0, maxGroupPreparedCapacity: null }, { maxSize: 5, desiredCapacity: 1 }),
    ).toBe(4);
  });

  it("is MaxGroupPreparedCapacity less desired when set", () => {
    expect(
      warmPoolTargetSize({ minSize: 0, maxGroupPreparedCapacity: 3 }, { maxSize: 10, desiredCapacity: 1 }),
    ).toBe(2);
  });

  it("never falls below MinSize, even when desired exceeds the prepared capacity", () => {
    expect(
      warmPoolTargetSize({ minSize: 2, maxGroupPreparedCapacity: 3 }, { maxSize: 10, desiredCapacity: 5 }),
    ).toBe(2);
    expect(
      warmPoolTargetSize({ minSize: 0, maxGroupPreparedCapacity: 3 }, { maxSize: 10, desiredCapacity: 5 }),
    ).toBe(0);
  });

  it("has an absolute size when MinSize equals MaxGroupPreparedCapacity", () => {
    expect(
      warmPoolTargetSize({ minSize: 2, maxGroupPreparedCapacity: 2 }, { maxSize: 10, desiredCapacity: 0 }),
    ).toBe(2);
    expect(
      warmPoolTargetSize({ minSize: 2, maxGroupPreparedCapacity: 2 }, { maxSize: 10, desiredCapacity: 4 }),
    ).toBe(2);
  });
});

describe("normalizeWarmPool", () => {
  it("defaults to MinSize 0, PoolState Stopped, no reuse, MaxGroupPreparedCapacity unset", () => {
    expect(normalizeWarmPool({})).toEqual({
      minSize: 0,
      maxGroupPreparedCapacity: null,
      poolState: "Stopped",
      reuseOnScaleIn: false,
    });
  });

  it("keeps the current values of members an update leaves out, and -1 unsets MaxGroupPreparedCapacity", () => {
    const current = normalizeWarmPool({ minSize: 2, maxGroupPreparedCapacity: 4, poolState: "Running" });
    expect(normalizeWarmPool({ reuseOnScaleIn: true }, current)).toEqual({
      minSize: 2,
      maxGroupPreparedCapacity: 4,
      poolState: "Running",
      reuseOnScaleIn: true,
    });
    expect(normalizeWarmPool({ maxGroupPreparedCapacity: -1 }, current).maxGroupPreparedCapacity).toBeNull();
  });

  it("refuses MinSize above MaxGroupPreparedCapacity, a bad PoolState and out-of-range numbers", () => {
    expect(() => normalizeWarmPool({ minSize: 3, maxGroupPreparedCapacity: 2 })).toThrow(/MinSize \(3\)/);
    expect(() => normalizeWarmPool({ poolState: "Frozen" })).toThrow(/PoolState 'Frozen'/);
    expect(() => normalizeWarmPool({ minSize: -1 })).toThrow(/MinSize/);
    expect(() => normalizeWarmPool({ maxGroupPreparedCapacity: -2 })).toThrow(/MaxGroupPreparedCapacity/);
  });
});

describe("takeFromPool", () => {
  it("takes prepared instances only, on the current template first, then the oldest", () => {
    const instances = [
      pool("i-pending", "Warmed:Pending", 1),
      pool("i-old-template", "Warmed:Stopped", 2, false),
      pool("i-young", "Warmed:Stopped", 9),
      pool("i-old", "Warmed:Running", 5),
    ];
    expect(takeFromPool(instances, 2).map((i) => i.instanceId)).toEqual(["i-old", "i-young"]);
    expect(takeFromPool(instances, 5).map((i) => i.instanceId)).toEqual([
      "i-old",
      "i-young",
      "i-old-template",
    ]);
    expect(takeFromPool(instances, 0)).toEqual([]);
  });
});

describe("planWarmPool", () => {
  it("launches the shortfall, counting instances still being prepared", () => {
    expect(planWarmPool([pool("i-1", "Warmed:Pending", 1)], 3)).toEqual({ launch: 2, terminate: [] });
  });

  it("does not count instances already leaving the pool", () => {
    expect(planWarmPool([pool("i-1", "Warmed:Terminating", 1)], 1).launch).toBe(1);
  });

  it("terminates the surplus: outdated first, then the newest (an older instance returning stays)", () => {
    const instances = [
      pool("i-a", "Warmed:Stopped", 1),
      pool("i-b", "Warmed:Stopped", 5),
      pool("i-returning", "Warmed:Pending", 0),
      pool("i-d", "Warmed:Stopped", 2, false),
    ];
    expect(planWarmPool(instances, 2).terminate.map((i) => i.instanceId)).toEqual(["i-d", "i-b"]);
    expect(planWarmPool(instances, 4)).toEqual({ launch: 0, terminate: [] });
  });
});
