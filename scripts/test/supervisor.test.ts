// The supervisor's policy over fake children and a fake clock: restarts, back-off, the cause line, the
// stop order and timeouts, without a real process or a sleep. (The real processes are in npm-start-heals.)
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  createSupervisor,
  type ServiceSpec,
  type SupervisedChild,
  type SupervisorClock,
} from "../supervisor.ts";

class FakeChild extends EventEmitter implements SupervisedChild {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  alive = true;
  constructor(
    readonly pid: number | undefined,
    /** Signals this child obeys by exiting; the others it ignores (a hung process). */
    private readonly obeys: NodeJS.Signals[] = ["SIGTERM", "SIGKILL"],
  ) {
    super();
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    if (this.obeys.includes(signal)) this.die(null, signal);
    return true;
  }
  die(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    this.alive = false;
    // A real exit event arrives on a later turn of the event loop.
    setImmediate(() => this.emit("exit", code, signal));
  }
}

class FakeClock implements SupervisorClock {
  private time = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.time;
  }
  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  /** Moves time on, running each timer that falls due in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at)
        .at(0);
      if (!due) break;
      due.cancelled = true;
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
  pending(): number[] {
    return this.timers.filter((t) => !t.cancelled).map((t) => t.at - this.time);
  }
}

/** Lets exit events (setImmediate) and readline lines settle. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function harness(names: string[], obeys?: Record<string, NodeJS.Signals[]>) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const children: Record<string, FakeChild[]> = {};
  const events: string[] = [];
  let nextPid = 100;
  const services: ServiceSpec<FakeChild>[] = names.map((name) => ({
    name,
    start: () => {
      const child = new FakeChild(nextPid++, obeys?.[name]);
      child.once("exit", () => events.push(`exit ${name}`));
      children[name] = [...(children[name] ?? []), child];
      return child;
    },
    stopTimeoutMs: 1000,
  }));
  const warnings: string[] = [];
  const supervisor = createSupervisor({
    services,
    clock,
    log: (line, level) => {
      lines.push(line);
      if (level === "warn") warnings.push(line);
    },
  });
  const latest = (name: string): FakeChild => {
    const child = children[name]?.at(-1);
    if (!child) throw new Error(`${name} never started`);
    return child;
  };
  return { clock, lines, warnings, children, events, supervisor, latest };
}

describe("supervisor", () => {
  it("restarts only the service that died, after 250 ms, with one line naming the cause", async () => {
    const h = harness(["redis", "api", "proxy"]);
    await h.supervisor.start();
    const proxy = h.latest("proxy");
    proxy.stderr.write("Error: boom\n    at handler (proxy.ts:1)\nTypeError: bad header\n");
    await settle();
    h.clock.advance(5_000);
    proxy.die(1, null);
    await settle();
    const deaths = h.lines.filter((line) => line.includes("died"));
    expect(deaths).toEqual([
      'proxy died (exit code 1) after 5.0 s; last output: "TypeError: bad header"; restarting in 250 ms',
    ]);
    // A death is a warning; starts are not.
    expect(h.warnings).toEqual(deaths);
    expect(h.clock.pending()).toEqual([250]);
    h.clock.advance(249);
    expect(h.children.proxy).toHaveLength(1);
    h.clock.advance(1);
    expect(h.children.proxy).toHaveLength(2);
    expect(h.children.api).toHaveLength(1);
    expect(h.children.redis).toHaveLength(1);
    expect(h.supervisor.pids().proxy).toBe(h.latest("proxy").pid);
  });

  it("backs off 250 ms doubling to 10 s in a crash loop and starts over after a stable minute", async () => {
    const h = harness(["worker"]);
    await h.supervisor.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      h.latest("worker").die(null, "SIGKILL");
      await settle();
      const [delay] = h.clock.pending();
      if (delay === undefined) throw new Error("no restart scheduled");
      delays.push(delay);
      h.clock.advance(delay);
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(h.lines.at(-2)).toMatch(/^worker died \(signal SIGKILL\) after 0\.0 s; restarting in 10000 ms$/);
    h.clock.advance(60_000);
    h.latest("worker").die(null, "SIGKILL");
    await settle();
    expect(h.clock.pending()).toEqual([250]);
  });

  it("stops in reverse order, SIGKILLs one that ignores SIGTERM after its timeout, and restarts nothing", async () => {
    const h = harness(["redis", "api", "worker", "proxy"], { worker: ["SIGKILL"] });
    await h.supervisor.start();
    // A death just before the stop: its pending restart is cancelled.
    h.latest("api").die(1, null);
    await settle();
    expect(h.clock.pending()).toEqual([250]);
    const stopped = h.supervisor.stop();
    await settle();
    expect(h.events).toEqual(["exit api", "exit proxy"]);
    // The worker ignores SIGTERM; the stop waits for it, then kills it after 1 s.
    h.clock.advance(999);
    await settle();
    expect(h.latest("worker").signals).toEqual(["SIGTERM"]);
    h.clock.advance(1);
    await stopped;
    expect(h.latest("worker").signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(h.events).toEqual(["exit api", "exit proxy", "exit worker", "exit redis"]);
    h.clock.advance(60_000);
    expect(h.children.api).toHaveLength(1);
    expect(h.lines).toContain("worker did not stop within 1000 ms: killing it");
  });

  it("treats a spawn that fails (no pid, an error event and no exit) as a death, and retries it", async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    let attempts = 0;
    const supervisor = createSupervisor({
      clock,
      log: (line) => lines.push(line),
      services: [
        {
          name: "api",
          start: () => {
            attempts++;
            const child = new FakeChild(undefined);
            setImmediate(() => child.emit("error", new Error("spawn node ENOENT")));
            return child;
          },
        },
      ],
    });
    await supervisor.start();
    await settle();
    expect(lines.at(-1)).toBe("api died (spawn node ENOENT) after 0.0 s; restarting in 250 ms");
    clock.advance(250);
    await settle();
    expect(attempts).toBe(2);
    expect(lines.at(-1)).toBe("api died (spawn node ENOENT) after 0.0 s; restarting in 500 ms");
    await supervisor.stop();
  });

  it("fails the start when a service never gets ready, and stops those already started", async () => {
    const clock = new FakeClock();
    const started: FakeChild[] = [];
    const spec = (name: string, ready?: ServiceSpec<FakeChild>["ready"]): ServiceSpec<FakeChild> => ({
      name,
      start: () => {
        const child = new FakeChild(started.length + 1);
        started.push(child);
        return child;
      },
      ...(ready && { ready }),
    });
    const supervisor = createSupervisor({
      clock,
      log: () => {},
      services: [
        spec("first"),
        spec("redis", async (child) => {
          child.die(1, null);
          throw new Error("redis-server exited with code 1");
        }),
        spec("never"),
      ],
    });
    await expect(supervisor.start()).rejects.toThrow("redis-server exited with code 1");
    expect(started).toHaveLength(2);
    expect(started[0]?.signals).toEqual(["SIGTERM"]);
    expect(clock.pending()).toEqual([]);
  });
});
