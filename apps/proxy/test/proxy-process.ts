import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually } from "@scaleout/testing";

const serverEntry = fileURLToPath(new URL("../src/server.ts", import.meta.url));
// Node itself with tsx's loader (not the tsx CLI, whose own child would outlive a kill): cluster.fork
// starts the workers with the same loader flags.
const tsxLoader = new URL("../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface ProxyProcess {
  child: ChildProcess;
  /** Everything it printed so far, for failure messages. */
  output: () => string;
  exited: Promise<void>;
  /**
   * Polls `probe` until it answers, for as long as a proxy process may take to start (`startWaitMs`),
   * failing with `what` (a function is read at the timeout) and everything the proxy printed by then.
   */
  until: <T>(
    probe: () => T | undefined | Promise<T | undefined>,
    what: string | (() => string),
  ) => Promise<T>;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop: () => Promise<void>;
}

/**
 * How long a wait that includes a proxy process's start may take: an owner and two workers, each
 * loading the sources through tsx, beside the system files of `npm test` took 9-18 s in CI, and once
 * over 20 s.
 */
export const startWaitMs = 60_000;

/**
 * The proxy as its own process, as `npm start` runs it: an owner with two workers on `dataDir` (no Redis,
 * no access log, each answer naming its worker in `x-scaleout-worker`), unless `env` says otherwise.
 */
export function spawnProxy(dataDir: string, env: Record<string, string> = {}): ProxyProcess {
  let output = "";
  const child = spawn(process.execPath, ["--import", tsxLoader, serverEntry], {
    env: {
      ...process.env,
      SCALEOUT_DATA_DIR: dataDir,
      REDIS_URL: "",
      SCALEOUT_PROXY_WORKERS: "2",
      SCALEOUT_PROXY_WORKER_HEADER: "1",
      SCALEOUT_ACCESS_LOG: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const until = <T>(probe: () => T | undefined | Promise<T | undefined>, what: string | (() => string)) =>
    eventually(probe, {
      timeoutMs: startWaitMs,
      message: () => `${typeof what === "function" ? what() : what}; proxy said: ${output}`,
    });
  return { child, output: () => output, exited, until, stop };
}
