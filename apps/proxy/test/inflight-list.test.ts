import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type InflightLink, InflightList } from "../src/inflight-list.ts";

describe("InflightList", () => {
  it("holds what was added until it is removed, newest first, and a second removal does nothing", () => {
    const list = new InflightList<string>();
    const a = list.add("a");
    const b = list.add("b");
    const c = list.add("c");
    expect(list.items()).toEqual(["c", "b", "a"]);
    list.remove(b);
    list.remove(b);
    expect(list.items()).toEqual(["c", "a"]);
    expect(list.size).toBe(2);
    list.remove(c);
    list.remove(a);
    expect(list.items()).toEqual([]);
    expect(list.size).toBe(0);
  });

  it("a removed link keeps nothing it was given, and another list's link is ignored", () => {
    const list = new InflightList<{ id: number }>();
    const other = new InflightList<{ id: number }>();
    const link = list.add({ id: 1 });
    const foreign = other.add({ id: 2 });
    list.remove(foreign);
    expect(other.size).toBe(1);
    list.remove(link);
    expect([link.item, link.prev, link.next, link.list]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("items() is a copy: acting on each entry may remove it", () => {
    const list = new InflightList<() => void>();
    const links: InflightLink<() => void>[] = [];
    for (let i = 0; i < 5; i++) {
      const at = i;
      links.push(list.add(() => list.remove(links[at])));
    }
    for (const abort of list.items()) abort();
    expect(list.size).toBe(0);
  });

  it("agrees with a Set under any sequence of adds and removals", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(20)), { maxLength: 200 }), (steps) => {
        const list = new InflightList<number>();
        const model = new Set<number>();
        const links = new Map<number, InflightLink<number>>();
        let next = 0;
        for (const [add, pick] of steps) {
          if (add || links.size === 0) {
            const id = next++;
            links.set(id, list.add(id));
            model.add(id);
          } else {
            const ids = [...links.keys()];
            const id = ids[pick % ids.length] as number;
            list.remove(links.get(id));
            if (pick % 3 === 0) list.remove(links.get(id));
            links.delete(id);
            model.delete(id);
          }
        }
        expect(list.size).toBe(model.size);
        expect(new Set(list.items())).toEqual(model);
      }),
    );
  });
});
