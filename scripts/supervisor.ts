// The supervisor of `npm start`: starts services in order, restarts one that dies with exponential
// back-off (one log line naming the cause), and stops them in reverse order, each with a timeout.
// Spawning and time are injected, so the policy is tested with fake children and a fake clock.
import { createInterface } from "node:readline";
import { defaultRestartBackoff, nextRestart, type RestartBackoff, type RestartHistory } from "@scaleout/core";

/** What the supervisor needs of a child process; node's ChildProcess is one. */
export interface SupervisedChild {
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(signal: NodeJS.Signals): boolean;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  /** A spawn that fails (ENOENT) reports "error" and never "exit". */
  on(event: "error", listener: (error: Error) => void): unknown;
}

export interface ServiceSpec<C extends SupervisedChild = SupervisedChild> {
  name: string;
  /** Spawns the service; called again, with the same settings, for every restart. */
  start(): C;
  /**
   * Resolves once the service can be depended on (Redis accepts connections). The services after it
   * start only then. Rejecting during the first start fails the whole start.
   */
  ready?(child: C): Promise<void>;
  /** SIGTERM, then SIGKILL after this long; default `SupervisorOptions.stopTimeoutMs`. */
  stopTimeoutMs?: number;
}

/** Time as the supervisor sees it; `schedule` answers a function that cancels the timer. */
export interface SupervisorClock {
  now(): number;
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: SupervisorClock = {
  now: () => Date.now(),
  schedule: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface SupervisorOptions<C extends SupervisedChild = SupervisedChild> {
  /** In start order; they stop in the reverse order. */
  services: ServiceSpec<C>[];
  clock?: SupervisorClock;
  backoff?: RestartBackoff;
  stopTimeoutMs?: number;
  /** The supervisor's own lines: starts at info; deaths, restarts that never got ready and kills at warn. */
  log(message: string, level?: "info" | "warn"): void;
  /** Every line a service writes. */
  output?(name: string, stream: "stdout" | "stderr", line: string): void;
}

export interface Supervisor {
  /** Starts every service in order, awaiting each one's `ready`; on a failure stops those started and throws. */
  start(): Promise<void>;
  /** Stops every service in reverse order, cancelling pending restarts; idempotent. */
  stop(): Promise<void>;
  /** The pid of each service's current process (undefined while it waits for a restart). */
  pids(): Record<string, number | undefined>;
}

interface Slot<C extends SupervisedChild> {
  spec: ServiceSpec<C>;
  child: C | undefined;
  /** Resolves when the current child has exited. */
  exited: Promise<void>;
  startedAt: number;
  lastStderr: string;
  lastStdout: string;
  history: RestartHistory;
  cancelRestart: (() => void) | undefined;
  /** During its first start the supervisor awaits `ready`, which reports a death itself: no restart. */
  awaitingFirstReady: boolean;
}

const quote = (line: string) => JSON.stringify(line.length > 300 ? `${line.slice(0, 300)}...` : line);

export function createSupervisor<C extends SupervisedChild>(options: SupervisorOptions<C>): Supervisor {
  const clock = options.clock ?? systemClock;
  const backoff = options.backoff ?? defaultRestartBackoff;
  const defaultStopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const slots: Slot<C>[] = options.services.map((spec) => ({
    spec,
    child: undefined,
    exited: Promise.resolve(),
    startedAt: 0,
    lastStderr: "",
    lastStdout: "",
    history: { consecutive: 0 },
    cancelRestart: undefined,
    awaitingFirstReady: false,
  }));
  let stopping = false;
  let stopped: Promise<void> | undefined;

  function pipe(slot: Slot<C>, stream: NodeJS.ReadableStream | null, kind: "stdout" | "stderr"): void {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      if (kind === "stderr") slot.lastStderr = line;
      else slot.lastStdout = line;
      options.output?.(slot.spec.name, kind, line);
    });
  }

  function spawnSlot(slot: Slot<C>): C {
    const child = slot.spec.start();
    slot.child = child;
    slot.startedAt = clock.now();
    slot.lastStderr = "";
    slot.lastStdout = "";
    pipe(slot, child.stdout, "stdout");
    pipe(slot, child.stderr, "stderr");
    slot.exited = new Promise((resolve) => {
      let gone = false;
      const died = (cause: string) => {
        if (gone) return;
        gone = true;
        if (slot.child === child) slot.child = undefined;
        resolve();
        if (!stopping && !slot.awaitingFirstReady) onDeath(slot, cause);
      };
      child.once("exit", (code, signal) => died(signal ? `signal ${signal}` : `exit code ${code}`));
      child.on("error", (error) => {
        // Without a pid it never ran; other errors (a failed kill) leave a running process.
        if (child.pid === undefined) died(error.message);
      });
    });
    options.log(`started ${slot.spec.name} (pid ${child.pid})`);
    return child;
  }

  function onDeath(slot: Slot<C>, cause: string): void {
    const uptimeMs = clock.now() - slot.startedAt;
    const next = nextRestart(slot.history, uptimeMs, backoff);
    slot.history = next.history;
    // Redis logs to stdout only; an app's crash handler writes to stderr.
    const last = slot.lastStderr || slot.lastStdout;
    const lastPart = last ? `; last output: ${quote(last)}` : "";
    options.log(
      `${slot.spec.name} died (${cause}) after ${(uptimeMs / 1000).toFixed(1)} s${lastPart}; restarting in ${next.delayMs} ms`,
      "warn",
    );
    slot.cancelRestart = clock.schedule(() => {
      slot.cancelRestart = undefined;
      if (stopping) return;
      const child = spawnSlot(slot);
      // A restart that never gets ready is killed; its exit schedules the next attempt.
      slot.spec.ready?.(child).catch((error: unknown) => {
        // A child that died already has had its one line from onDeath.
        if (slot.child !== child) return;
        options.log(
          `${slot.spec.name} did not get ready: ${error instanceof Error ? error.message : error}`,
          "warn",
        );
        child.kill("SIGKILL");
      });
    }, next.delayMs);
  }

  async function stopSlot(slot: Slot<C>): Promise<void> {
    slot.cancelRestart?.();
    slot.cancelRestart = undefined;
    const child = slot.child;
    if (!child) return;
    const timeoutMs = slot.spec.stopTimeoutMs ?? defaultStopTimeoutMs;
    child.kill("SIGTERM");
    const cancelKill = clock.schedule(() => {
      options.log(`${slot.spec.name} did not stop within ${timeoutMs} ms: killing it`, "warn");
      child.kill("SIGKILL");
    }, timeoutMs);
    await slot.exited;
    cancelKill();
  }

  const supervisor: Supervisor = {
    async start() {
      for (const slot of slots) {
        if (stopping) return;
        slot.awaitingFirstReady = slot.spec.ready !== undefined;
        const child = spawnSlot(slot);
        try {
          await slot.spec.ready?.(child);
        } catch (error) {
          await supervisor.stop();
          throw error;
        }
        // From here a death restarts it (an exit is a macrotask: none can slip in before this line).
        slot.awaitingFirstReady = false;
      }
    },
    stop() {
      if (stopped) return stopped;
      stopping = true;
      stopped = (async () => {
        // Pending restarts of every service are cancelled first, so nothing starts behind the stop.
        for (const slot of slots) {
          slot.cancelRestart?.();
          slot.cancelRestart = undefined;
        }
        for (const slot of [...slots].reverse()) await stopSlot(slot);
      })();
      return stopped;
    },
    pids() {
      return Object.fromEntries(slots.map((slot) => [slot.spec.name, slot.child?.pid]));
    },
  };
  return supervisor;
}
