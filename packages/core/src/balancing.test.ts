import { describe, expect, it } from "vitest";
import {
  type Candidate,
  HashRing,
  leastOutstanding,
  leastResponseTime,
  peakEwma,
  RoundRobin,
  slowStartWeight,
  weightedRandom,
} from "./balancing.ts";

const candidate = (key: string, overrides: Partial<Candidate> = {}): Candidate => ({
  key,
  weight: 1,
  outstanding: 0,
  latency: 0,
  ...overrides,
});

const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

function tally(pick: () => Candidate | undefined, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const key = pick()?.key ?? "-";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe("RoundRobin", () => {
  it("equal weights alternate strictly", () => {
    const rr = new RoundRobin();
    const list = [candidate("a"), candidate("b"), candidate("c")];
    const picks = Array.from({ length: 6 }, () => rr.pick(list)?.key);
    expect(new Set(picks.slice(0, 3)).size).toBe(3);
    expect(picks.slice(3)).toEqual(picks.slice(0, 3));
  });

  it("smooth weighting: a half-weight target gets every other turn of its peer, without bursts", () => {
    const rr = new RoundRobin();
    const list = [candidate("a"), candidate("b", { weight: 0.5 })];
    const picks = Array.from({ length: 6 }, () => rr.pick(list)?.key).join("");
    expect(picks).toBe("abaaba");
  });

  it("nothing to pick from answers undefined; one candidate is always it", () => {
    expect(new RoundRobin().pick([])).toBeUndefined();
    expect(new RoundRobin().pick([candidate("x")])?.key).toBe("x");
  });
});

describe("leastOutstanding", () => {
  it("takes the fewest outstanding requests, relative to weight", () => {
    const rr = new RoundRobin();
    expect(
      leastOutstanding([candidate("a", { outstanding: 3 }), candidate("b", { outstanding: 1 })], rr)?.key,
    ).toBe("b");
    // b has half the weight: 1 outstanding counts as (1+1)/0.5 = 4 against a's (2+1)/1 = 3.
    expect(
      leastOutstanding(
        [candidate("a", { outstanding: 2 }), candidate("b", { outstanding: 1, weight: 0.5 })],
        rr,
      )?.key,
    ).toBe("a");
  });

  it("ties share round robin", () => {
    const rr = new RoundRobin();
    const list = [candidate("a"), candidate("b")];
    expect(tally(() => leastOutstanding(list, rr), 10)).toEqual({ a: 5, b: 5 });
  });
});

describe("weightedRandom", () => {
  it("splits by weight with an injected random", () => {
    const list = [candidate("a", { weight: 3 }), candidate("b", { weight: 1 })];
    expect(weightedRandom(list, sequence(0.74))?.key).toBe("a");
    expect(weightedRandom(list, sequence(0.75))?.key).toBe("b");
  });
});

describe("leastResponseTime", () => {
  it("of the two sampled, the lower latency × load wins", () => {
    const list = [candidate("fast", { latency: 5 }), candidate("slow", { latency: 500 })];
    // Whichever order the two are sampled in, fast wins.
    expect(leastResponseTime(list, sequence(0, 0))?.key).toBe("fast");
    expect(leastResponseTime(list, sequence(0.9, 0))?.key).toBe("fast");
    // Enough load on the fast one tips it.
    const loaded = [candidate("fast", { latency: 5, outstanding: 200 }), candidate("slow", { latency: 500 })];
    expect(leastResponseTime(loaded, sequence(0, 0))?.key).toBe("slow");
  });
});

describe("peakEwma", () => {
  it("a slower sample takes over at once; faster ones decay towards it with time", () => {
    expect(peakEwma(0, 40, 0)).toBe(40);
    expect(peakEwma(10, 40, 0)).toBe(40);
    expect(peakEwma(40, 10, 0)).toBe(40);
    const later = peakEwma(40, 10, 10_000);
    expect(later).toBeGreaterThan(10);
    expect(later).toBeLessThan(40);
    expect(peakEwma(40, 10, 1_000_000)).toBeCloseTo(10);
  });
});

describe("HashRing", () => {
  it("a client keeps its target; adding one target moves only some clients, all onto the new one", () => {
    const ring = new HashRing();
    const three = [candidate("t1"), candidate("t2"), candidate("t3")];
    const clients = Array.from({ length: 400 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = new Map(clients.map((c) => [c, ring.pick(three, c)?.key]));
    for (const c of clients) expect(ring.pick(three, c)?.key).toBe(before.get(c));
    const four = [...three, candidate("t4")];
    let moved = 0;
    for (const c of clients) {
      const now = ring.pick(four, c)?.key;
      if (now !== before.get(c)) {
        moved++;
        expect(now).toBe("t4");
      }
    }
    // About a quarter of the clients.
    expect(moved).toBeGreaterThan(40);
    expect(moved).toBeLessThan(180);
  });
});

describe("slowStartWeight", () => {
  it("rises linearly from a floor to 1 over the duration", () => {
    expect(slowStartWeight(0, 0, 30)).toBe(0.02);
    expect(slowStartWeight(0, 15_000, 30)).toBeCloseTo(0.5);
    expect(slowStartWeight(0, 30_000, 30)).toBe(1);
    expect(slowStartWeight(0, 0, 0)).toBe(1);
  });
});
