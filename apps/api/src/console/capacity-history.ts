import type { CapacitySample, GroupSummaryView } from "./view-types.ts";

/*
 * A group's desired / in-service / pending counts over time, for the group page's chart. The registry keeps
 * only the present, so the console samples each group on every tick and keeps the last `keepSeconds` in
 * memory: a page opened during a scaling event sees the event since this api process started.
 */

export interface CapacityHistory {
  record(nowMs: number, groups: GroupSummaryView[]): void;
  of(name: string): CapacitySample[];
}

export function createCapacityHistory(keepSeconds = 900): CapacityHistory {
  const samples = new Map<string, CapacitySample[]>();
  return {
    record(nowMs, groups) {
      const t = Math.floor(nowMs / 1000);
      const seen = new Set<string>();
      for (const g of groups) {
        seen.add(g.name);
        const list = samples.get(g.name) ?? [];
        const last = list.at(-1);
        // One sample a second at most: a trigger between ticks replaces the second's sample.
        if (last?.[0] === t) list.pop();
        list.push([t, g.desired, g.inService, g.pending]);
        while (list.length > 0 && (list[0]?.[0] ?? t) < t - keepSeconds) list.shift();
        samples.set(g.name, list);
      }
      for (const name of samples.keys()) if (!seen.has(name)) samples.delete(name);
    },
    of(name) {
      return [...(samples.get(name) ?? [])];
    },
  };
}
