import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FiveTuple, flowHashKey, pickByFlowHash } from "./flow-hash.ts";

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
        const key = flowHashKey(tuple(port));
        expect(pickByFlowHash([...list].reverse(), key)?.key).toBe(pickByFlowHash(list, key)?.key);
      }),
    );
  });

  it("spreads distinct flows evenly over the targets", () => {
    const list = targets(4);
    const counts = new Map<string, number>();
    for (let port = 1000; port < 9000; port++) {
      const key = pickByFlowHash(list, flowHashKey(tuple(port)))?.key ?? "";
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
      const key = flowHashKey(tuple(port));
      const before = pickByFlowHash(list, key);
      const after = pickByFlowHash(rest, key);
      if (before !== removed && before !== after) moved++;
    }
    expect(moved).toBe(0);
  });

  it("source_ip stickiness: every port of one client address lands on one target", () => {
    const list = targets(6);
    const picks = new Set<string | undefined>();
    for (let port = 1000; port < 1100; port++)
      picks.add(pickByFlowHash(list, flowHashKey(tuple(port, "10.1.2.3"), true))?.key);
    expect(picks.size).toBe(1);
    expect(flowHashKey(tuple(1, "10.1.2.3"), true)).toBe(
      flowHashKey({ ...tuple(2, "10.1.2.3"), protocol: "TCP" }, true),
    );
  });

  it("answers nothing without candidates, the only one with one", () => {
    expect(pickByFlowHash([], "k")).toBeUndefined();
    expect(pickByFlowHash(targets(1), "k")?.key).toBe("127.0.0.1:9000");
  });
});
