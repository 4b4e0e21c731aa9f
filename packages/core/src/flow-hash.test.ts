import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FlowTuple, flowHash, pickByFlowHash } from "./flow-hash.ts";

const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `i-${i}:80` }));
const tuple = (sourcePort: number, sourceIp = "10.0.0.1"): FlowTuple => ({
  sourceIp,
  sourcePort,
  destinationIp: "127.0.0.1",
  destinationPort: 443,
  protocol: "TCP",
});

describe("flow hash", () => {
  it("a flow always lands on the same target, whatever order the targets come in", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 12 }), (port, n) => {
        const list = targets(n);
        const hash = flowHash(tuple(port));
        expect(pickByFlowHash(list, hash)).toBe(pickByFlowHash([...list].reverse(), hash));
      }),
    );
  });

  it("spreads flows evenly over the targets", () => {
    const list = targets(4);
    const counts = new Map<string, number>();
    for (let port = 1024; port < 1024 + 8000; port++) {
      const key = pickByFlowHash(list, flowHash(tuple(port)))?.key ?? "";
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(4);
    // 2000 expected each; a fair hash stays well within ±10 %.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it("a target leaving moves only its own flows; one joining takes a fair share from each", () => {
    const four = targets(4);
    const three = four.slice(0, 3);
    const five = targets(5);
    let moved = 0;
    let joined = 0;
    for (let port = 2000; port < 6000; port++) {
      const hash = flowHash(tuple(port));
      const before = pickByFlowHash(four, hash);
      const after = pickByFlowHash(three, hash);
      if (before?.key !== "i-3:80") expect(after?.key).toBe(before?.key);
      else moved++;
      const grown = pickByFlowHash(five, hash);
      if (grown?.key !== before?.key) {
        expect(grown?.key).toBe("i-4:80");
        joined++;
      }
    }
    expect(moved).toBeGreaterThan(800);
    expect(joined).toBeGreaterThan(600);
    expect(joined).toBeLessThan(1000);
  });

  it("source_ip stickiness ignores ports; the 5-tuple does not", () => {
    const list = targets(8);
    const picks = new Set<string | undefined>();
    for (let port = 1; port < 200; port++)
      picks.add(pickByFlowHash(list, flowHash(tuple(port), "source_ip"))?.key);
    expect(picks.size).toBe(1);
    const spread = new Set<string | undefined>();
    for (let port = 1; port < 200; port++) spread.add(pickByFlowHash(list, flowHash(tuple(port)))?.key);
    expect(spread.size).toBe(8);
  });

  it("sources spread under source_ip stickiness", () => {
    const list = targets(4);
    const picks = new Set<string | undefined>();
    for (let i = 1; i < 100; i++)
      picks.add(pickByFlowHash(list, flowHash(tuple(5000, `10.0.${i}.7`), "source_ip"))?.key);
    expect(picks.size).toBe(4);
  });

  it("no candidates, no target", () => {
    expect(pickByFlowHash([], 42)).toBeUndefined();
  });
});
