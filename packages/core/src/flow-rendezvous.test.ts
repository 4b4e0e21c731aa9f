import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FiveTuple, fiveTupleKey, rendezvousPick } from "./flow-rendezvous.ts";

const tuple = (sourcePort: number, sourceIp = "10.0.0.1"): FiveTuple => ({
  protocol: "UDP",
  sourceIp,
  sourcePort,
  destinationIp: "127.0.0.1",
  destinationPort: 53,
});
const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `127.0.0.1:${9000 + i}` }));

describe("flow hash", () => {
  it("pins one flow to one target, whatever the candidates' order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 8 }), (port, n) => {
        const list = targets(n);
        const key = fiveTupleKey(tuple(port));
        expect(rendezvousPick([...list].reverse(), key)?.key).toBe(rendezvousPick(list, key)?.key);
      }),
    );
  });

  it("spreads distinct flows evenly over the targets", () => {
    const list = targets(4);
    const counts = new Map<string, number>();
    for (let port = 1000; port < 9000; port++) {
      const key = rendezvousPick(list, fiveTupleKey(tuple(port)))?.key ?? "";
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBeGreaterThan(1600); // 2000 each, ±20%
  });

  it("moves only the removed target's flows when one leaves", () => {
    const list = targets(5);
    const removed = list[2];
    const rest = list.filter((t) => t !== removed);
    let moved = 0;
    for (let port = 1000; port < 4000; port++) {
      const key = fiveTupleKey(tuple(port));
      const before = rendezvousPick(list, key);
      const after = rendezvousPick(rest, key);
      if (before !== removed && before !== after) moved++;
    }
    expect(moved).toBe(0);
  });

  it("source_ip stickiness: every port of one client address lands on one target", () => {
    const list = targets(6);
    const picks = new Set<string | undefined>();
    for (let port = 1000; port < 1100; port++)
      picks.add(rendezvousPick(list, fiveTupleKey(tuple(port, "10.1.2.3"), true))?.key);
    expect(picks.size).toBe(1);
    expect(fiveTupleKey(tuple(1, "10.1.2.3"), true)).toBe(
      fiveTupleKey({ ...tuple(2, "10.1.2.3"), protocol: "TCP" }, true),
    );
  });

  it("answers nothing without candidates, the only one with one", () => {
    expect(rendezvousPick([], "k")).toBeUndefined();
    expect(rendezvousPick(targets(1), "k")?.key).toBe("127.0.0.1:9000");
  });
});
