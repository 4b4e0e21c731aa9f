import { afterEach, describe, expect, test, vi } from "vitest";
import { createCapacityHistory } from "../src/console/capacity-history.ts";
import { createConsoleLive, type Watcher } from "../src/console/live.ts";

/* The console's live hub and capacity history, on vitest's clock (no sleeps). */

afterEach(() => {
  vi.useRealTimers();
});

const recorder = () => {
  const sent: Array<[string, string]> = [];
  const watcher: Watcher = { send: (event, json) => sent.push([event, json]) };
  return { sent, watcher };
};

describe("console live hub", () => {
  test("sends a view at once, again only when it changed, and builds it once per look for every page", () => {
    vi.useFakeTimers();
    let version = 1;
    const built: string[] = [];
    const live = createConsoleLive({
      build: (view) => {
        built.push(view);
        if (view === "group:gone") throw new Error("AutoScalingGroup name not found - gone");
        return JSON.stringify({ view, version });
      },
      tickMs: 1000,
      settleMs: 100,
      warn: () => {},
    });
    const a = recorder();
    const b = recorder();
    const gone = recorder();
    live.watch("topology", a.watcher);
    live.watch("topology", b.watcher);
    live.watch("group:gone", gone.watcher);
    expect(a.sent).toEqual([["view", '{"view":"topology","version":1}']]);
    expect(gone.sent).toEqual([["problem", '{"message":"AutoScalingGroup name not found - gone"}']]);

    // Nothing changed: a tick builds each view once and sends nothing.
    built.length = 0;
    vi.advanceTimersByTime(1000);
    expect(built).toEqual(["topology", "group:gone"]);
    expect(a.sent).toHaveLength(1);

    // A burst of announcements is one look, and a change reaches every page showing the view.
    version = 2;
    built.length = 0;
    live.poke();
    live.poke();
    live.poke();
    vi.advanceTimersByTime(100);
    expect(built).toEqual(["topology", "group:gone"]);
    expect(a.sent.at(-1)).toEqual(["view", '{"view":"topology","version":2}']);
    expect(b.sent).toHaveLength(2);
    expect(live.watchers).toBe(3);
    live.close();
    expect(live.watchers).toBe(0);
  });

  test("a stopped watch gets nothing more", () => {
    vi.useFakeTimers();
    let version = 1;
    const live = createConsoleLive({
      build: () => JSON.stringify({ version }),
      tickMs: 1000,
      warn: () => {},
    });
    const a = recorder();
    const stop = live.watch("groups", a.watcher);
    stop();
    version = 2;
    vi.advanceTimersByTime(2000);
    expect(a.sent).toHaveLength(1);
    live.close();
  });
});

describe("capacity history", () => {
  test("keeps one sample a second per group, forgets old ones and deleted groups", () => {
    const history = createCapacityHistory(60);
    const group = (desired: number, inService: number, pending: number) => ({
      name: "web",
      desired,
      min: 1,
      max: 4,
      inService,
      pending,
    });
    history.record(1_000_000, [group(1, 1, 0)]);
    history.record(1_000_400, [group(2, 1, 1)]);
    history.record(1_001_000, [group(2, 2, 0)]);
    expect(history.of("web")).toEqual([
      [1000, 2, 1, 1],
      [1001, 2, 2, 0],
    ]);
    history.record(1_070_000, [group(1, 1, 0)]);
    expect(history.of("web")).toEqual([[1070, 1, 1, 0]]);
    history.record(1_071_000, []);
    expect(history.of("web")).toEqual([]);
  });
});
