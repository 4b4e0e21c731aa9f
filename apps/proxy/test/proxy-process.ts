import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const serverEntry = fileURLToPath(new URL("../src/server.ts", import.meta.url));
// Node itself with tsx's loader (not the tsx CLI, whose own child would outlive a kill): cluster.fork
// starts the workers with the same loader flags.
const tsxLoader = new URL("../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface ProxyProcess {
  child: ChildProcess;
  /** Everything it printed so far, for failure messages. */
  output: () => string;
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop: () => Promise<void>;
}

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
  return { child, output: () => output, exited, stop };
}
