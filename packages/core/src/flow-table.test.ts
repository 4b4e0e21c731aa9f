import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FlowTable, udpFlowIdleSeconds } from "./flow-table.ts";

describe("FlowTable", () => {
  it("evicts the least recently used flow when full", () => {
    const table = new FlowTable<string>(2);
    expect(table.add("a", "A", 0)).toEqual([]);
    expect(table.add("b", "B", 1)).toEqual([]);
    expect(table.touch("a", 2)).toBe("A");
    expect(table.add("c", "C", 3)).toEqual(["B"]);
    expect(table.size).toBe(2);
    expect(table.peek("b")).toBeUndefined();
  });

  it("expires idle flows oldest first, and keeps the ones seen since", () => {
    const table = new FlowTable<string>(10);
    table.add("a", "A", 0);
    table.add("b", "B", 1_000);
    table.add("c", "C", 2_000);
    table.touch("a", 2_500);
    expect(table.expire(121_000, 120_000)).toEqual(["B"]);
    expect(table.expire(122_499, 120_000)).toEqual(["C"]);
    expect(table.expire(122_500, 120_000)).toEqual(["A"]);
    expect(table.size).toBe(0);
  });

  it("deletes a flow only while it is still the one under its key", () => {
    const table = new FlowTable<string>(4);
    table.add("a", "old", 0);
    expect(table.add("a", "new", 1)).toEqual(["old"]);
    expect(table.delete("a", "old")).toBe(false);
    expect(table.peek("a")).toBe("new");
    expect(table.delete("a", "new")).toBe(true);
    expect(table.clear()).toEqual([]);
  });

  it("never holds more than its capacity, whatever the sequence of flows", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { maxLength: 200 }),
        (capacity, steps) => {
          const table = new FlowTable<number>(capacity);
          const live = new Set<number>();
          let now = 0;
          for (const [source, touch] of steps) {
            now += 10;
            if (touch && table.touch(String(source), now) !== undefined) continue;
            for (const gone of table.add(String(source), source, now)) live.delete(gone);
            live.add(source);
            expect(table.size).toBeLessThanOrEqual(capacity);
          }
          expect(table.size).toBe(live.size);
        },
      ),
    );
  });

  it("refuses a capacity below one; NLB's UDP idle timeout is 120 s", () => {
    expect(() => new FlowTable(0)).toThrow(RangeError);
    expect(udpFlowIdleSeconds(false)).toBe(120);
    expect(udpFlowIdleSeconds(true)).toBeLessThan(120);
  });
});
