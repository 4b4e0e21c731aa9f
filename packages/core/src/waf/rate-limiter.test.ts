import { describe, expect, it } from "vitest";
import { RateLimiter, RateLimiterStore } from "./rate-limiter.ts";

describe("rate limiter", () => {
  it("counts per key over a sliding window", () => {
    const limiter = new RateLimiter(3, 10_000);
    for (let i = 1; i <= 5; i++) expect(limiter.hit("a", 1000 + i)).toBe(i);
    expect(limiter.hit("b", 1010)).toBe(1);
    expect(limiter.overLimit(1010)).toEqual(["a"]);
    // Half a window on: still counted; a whole window on: gone.
    expect(limiter.count("a", 6000)).toBe(5);
    expect(limiter.count("a", 11_500)).toBe(0);
    expect(limiter.overLimit(11_500)).toEqual([]);
    expect(limiter.hit("a", 11_500)).toBe(1);
  });

  it("slides in tenths of the window", () => {
    const limiter = new RateLimiter(100, 10_000);
    limiter.hit("a", 0);
    limiter.hit("a", 5000);
    expect(limiter.count("a", 9999)).toBe(2);
    expect(limiter.count("a", 10_000)).toBe(1);
    expect(limiter.count("a", 15_000)).toBe(0);
  });

  it("stays within its capacity under a flood of distinct keys, keeping the keys over the limit", () => {
    const limiter = new RateLimiter(5, 60_000, 1000);
    for (let i = 0; i < 10; i++) limiter.hit("attacker", i);
    for (let i = 0; i < 100_000; i++) limiter.hit(`k${i}`, 100 + (i % 1000));
    expect(limiter.size).toBeLessThanOrEqual(1000);
    expect(limiter.count("attacker", 2000)).toBe(10);
  });

  it("keeps a rule's counts across snapshots while its limit and window stay", () => {
    const store = new RateLimiterStore();
    const first = store.get("acl|rule", 10, 60_000);
    store.sweep();
    expect(store.get("acl|rule", 10, 60_000)).toBe(first);
    store.sweep();
    expect(store.get("acl|rule", 20, 60_000)).not.toBe(first);
  });
});
