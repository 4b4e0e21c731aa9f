import { describe, expect, it } from "vitest";
import { type RequestBucket, takeRequestToken } from "./instance-metadata-throttle.ts";

const limits = { ratePerSecond: 10, burst: 3 };

/** How many of `count` requests at `now` go through. */
function take(bucket: RequestBucket | undefined, now: number, count: number) {
  let current = bucket;
  let allowed = 0;
  for (let i = 0; i < count; i++) {
    const next = takeRequestToken(current, now, limits);
    current = next.bucket;
    if (next.allowed) allowed++;
  }
  return { bucket: current, allowed };
}

describe("takeRequestToken", () => {
  it("allows a burst, then the sustained rate", () => {
    const first = take(undefined, 0, 5);
    expect(first.allowed).toBe(3);
    expect(take(first.bucket, 100, 5).allowed).toBe(1); // 100 ms at 10/s: one token back
    expect(take(first.bucket, 250, 5).allowed).toBe(2);
  });

  it("never holds more than the burst however long it was quiet", () => {
    const first = take(undefined, 0, 3);
    expect(take(first.bucket, 3_600_000, 10).allowed).toBe(3);
  });

  it("ignores a clock that steps back", () => {
    const first = take(undefined, 1_000, 3);
    expect(take(first.bucket, 0, 2).allowed).toBe(0);
  });
});
