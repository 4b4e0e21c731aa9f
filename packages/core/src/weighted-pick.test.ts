import { describe, expect, it } from "vitest";
import { pickWeightedGroup } from "./weighted-pick.ts";

/** A deterministic random: the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

describe("pickWeightedGroup", () => {
  const groups = [
    { targetGroupArn: "a", weight: 80 },
    { targetGroupArn: "b", weight: 20 },
  ];

  it("splits the unit interval by weight", () => {
    expect(pickWeightedGroup(groups, sequence(0))).toBe("a");
    expect(pickWeightedGroup(groups, sequence(0.79))).toBe("a");
    expect(pickWeightedGroup(groups, sequence(0.8))).toBe("b");
    expect(pickWeightedGroup(groups, sequence(0.999999))).toBe("b");
  });

  it("over an even spread of draws, each group's share is its weight", () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const arn = pickWeightedGroup(groups, () => i / 1000) ?? "-";
      counts[arn] = (counts[arn] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 800, b: 200 });
  });

  it("a weight of 0 gets nothing; a missing weight counts as 1", () => {
    const withZero = [{ targetGroupArn: "a", weight: 0 }, { targetGroupArn: "b" }];
    for (const r of [0, 0.5, 0.9999]) expect(pickWeightedGroup(withZero, sequence(r))).toBe("b");
  });

  it("a single group is taken whatever its weight; all weights 0 picks none; no groups, none", () => {
    expect(pickWeightedGroup([{ targetGroupArn: "only", weight: 0 }])).toBe("only");
    expect(
      pickWeightedGroup([
        { targetGroupArn: "a", weight: 0 },
        { targetGroupArn: "b", weight: 0 },
      ]),
    ).toBeUndefined();
    expect(pickWeightedGroup([])).toBeUndefined();
  });
});
