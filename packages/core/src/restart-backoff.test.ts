import { describe, expect, it } from "vitest";
import { defaultRestartBackoff, nextRestart, type RestartHistory } from "./restart-backoff.ts";

/** The delays of `count` deaths in a row, each after `uptimeMs` of running. */
function delays(count: number, uptimeMs: number): number[] {
  let history: RestartHistory = { consecutive: 0 };
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = nextRestart(history, uptimeMs);
    out.push(next.delayMs);
    history = next.history;
  }
  return out;
}

describe("nextRestart", () => {
  it("doubles from 250 ms and caps at 10 s in a crash loop", () => {
    expect(delays(9, 100)).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it("starts over after a process ran for a stable minute", () => {
    const looping = nextRestart({ consecutive: 5 }, 59_999);
    expect(looping.delayMs).toBe(8000);
    const stable = nextRestart({ consecutive: 5 }, defaultRestartBackoff.stableMs);
    expect(stable).toEqual({ delayMs: 250, history: { consecutive: 1 } });
  });

  it("never overflows however long the loop", () => {
    expect(nextRestart({ consecutive: 10_000 }, 0).delayMs).toBe(10_000);
  });

  it("follows a custom policy", () => {
    const policy = { initialMs: 10, maxMs: 35, stableMs: 1000 };
    expect(nextRestart({ consecutive: 0 }, 0, policy).delayMs).toBe(10);
    expect(nextRestart({ consecutive: 2 }, 0, policy).delayMs).toBe(35);
    expect(nextRestart({ consecutive: 2 }, 1000, policy).delayMs).toBe(10);
  });
});
