import { describe, expect, it } from "vitest";
import { checkGranularity, checkGroupMetrics, groupMetricNames, groupMetricValues } from "./group-metrics.ts";

describe("group metrics", () => {
  it("counts instances by lifecycle state", () => {
    const values = groupMetricValues({
      group: { minSize: 1, maxSize: 6, desiredCapacity: 4 },
      states: [
        "InService",
        "InService",
        "Pending",
        "Pending:Wait",
        "Terminating:Wait",
        "Standby",
        "Detaching",
        "Warmed:Stopped",
      ],
    });
    expect(values).toEqual({
      GroupMinSize: 1,
      GroupMaxSize: 6,
      GroupDesiredCapacity: 4,
      GroupInServiceInstances: 2,
      GroupInServiceCapacity: 2,
      GroupPendingInstances: 2,
      GroupPendingCapacity: 2,
      GroupStandbyInstances: 1,
      GroupStandbyCapacity: 1,
      GroupTerminatingInstances: 1,
      GroupTerminatingCapacity: 1,
      GroupTotalInstances: 5,
      GroupTotalCapacity: 5,
    });
  });

  it("counts a warm pool's instances and its desired capacity", () => {
    const values = groupMetricValues({
      group: { minSize: 0, maxSize: 10, desiredCapacity: 2 },
      states: [
        "InService",
        "InService",
        "Warmed:Stopped",
        "Warmed:Running",
        "Warmed:Pending",
        "Warmed:Terminating",
      ],
      warmPool: { minSize: 1, maxGroupPreparedCapacity: 5 },
    });
    expect(values).toMatchObject({
      WarmPoolMinSize: 1,
      WarmPoolDesiredCapacity: 3,
      WarmPoolWarmedCapacity: 2,
      WarmPoolPendingCapacity: 1,
      WarmPoolTerminatingCapacity: 1,
      WarmPoolTotalCapacity: 4,
      GroupAndWarmPoolDesiredCapacity: 5,
      GroupAndWarmPoolTotalCapacity: 6,
    });
    // Without MaxGroupPreparedCapacity the group's maximum bounds the pool; never below its minimum.
    expect(
      groupMetricValues({
        group: { minSize: 0, maxSize: 3, desiredCapacity: 3 },
        states: [],
        warmPool: { minSize: 2, maxGroupPreparedCapacity: null },
      }).WarmPoolDesiredCapacity,
    ).toBe(2);
  });

  it("checks metric names and the granularity", () => {
    expect(checkGroupMetrics(undefined)).toEqual([...groupMetricNames]);
    expect(checkGroupMetrics(["GroupTotalInstances", "GroupMinSize"])).toEqual([
      "GroupMinSize",
      "GroupTotalInstances",
    ]);
    expect(() => checkGroupMetrics(["GroupNope"])).toThrow(/Invalid metrics: GroupNope/);
    expect(checkGranularity("1Minute")).toBe("1Minute");
    expect(() => checkGranularity("5Minute")).toThrow(/1Minute/);
    expect(() => checkGranularity(undefined)).toThrow(/required/);
  });
});
