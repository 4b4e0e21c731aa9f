import type { Random } from "./balancing.ts";

export interface WeightedTargetGroup {
  targetGroupArn: string;
  /** AWS's default is 1; 0 takes no new traffic. */
  weight?: number;
}

/**
 * The target group a weighted forward action sends a request to: each group with probability weight /
 * total. A single group is taken whatever its weight (AWS accepts 0 there); all weights 0 picks none.
 */
export function pickWeightedGroup(
  groups: readonly WeightedTargetGroup[],
  random: Random = Math.random,
): string | undefined {
  if (groups.length === 1) return groups[0]?.targetGroupArn;
  let total = 0;
  for (const g of groups) total += g.weight ?? 1;
  if (total <= 0) return undefined;
  let point = random() * total;
  for (const g of groups) {
    point -= g.weight ?? 1;
    if (point < 0) return g.targetGroupArn;
  }
  // random() is below 1, but floating point may leave point at 0 after the last subtraction.
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    if (g && (g.weight ?? 1) > 0) return g.targetGroupArn;
  }
  return undefined;
}
