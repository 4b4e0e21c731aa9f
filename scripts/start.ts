// `npm start`: the whole system on this machine. Starts a private redis-server when REDIS_URL is unset,
// then the api, the worker and the proxy (bundled by scripts/build.mjs) as child processes, prefixes their output, and on SIGINT or
// SIGTERM stops them in order (proxy and worker drain, api finishes in-flight requests) and Redis last.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readSettings } from "@scaleout/config";
import { type PrivateRedis, startPrivateRedis } from "@scaleout/queue";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = ["api", "worker", "proxy"] as const;
/**
 * Node flags per process. A small young generation keeps RSS down: V8 otherwise reserves up to ~48 MB
 * of semi-space. The mostly idle api and worker take the smallest; the proxy, which allocates per
 * request, measured the same throughput at 8 MB as at the default 16 MB with ~20 MB less RSS
 * (bench/proxy with BENCH_NODE_ARGS).
 */
const nodeFlags: Record<(typeof apps)[number], string[]> = {
  api: ["--max-semi-space-size=2"],
  worker: ["--max-semi-space-size=2"],
  proxy: ["--max-semi-space-size=8"],
};
const stopTimeoutMs = 15_000;

function log(message: string): void {
  process.stderr.write(`[scaleout] ${message}\n`);
}

function pipe(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WritableStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => out.write(`[${name}] ${line}\n`));
}

async function main(): Promise<void> {
  const settings = readSettings();
  let redis: PrivateRedis | undefined;
  const env = { ...process.env };
  if (!settings.redisUrl) {
    redis = await startPrivateRedis();
    env.REDIS_URL = redis.url;
    log(`started a private redis-server at ${redis.url} (pid ${redis.pid})`);
  }

  const children = new Map<string, ChildProcess>();
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping...");
    // The proxy first (no new traffic), then the worker, then the api.
    for (const name of ["proxy", "worker", "api"]) {
      const child = children.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await redis?.stop();
    process.exit(code);
  };

  for (const name of apps) {
    // dist/<app>.mjs is built by scripts/build.mjs (npm start runs it first).
    const child = spawn(
      process.execPath,
      [...nodeFlags[name], "--enable-source-maps", join(root, "dist", `${name}.mjs`)],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.set(name, child);
    pipe(name, child.stdout, process.stdout);
    pipe(name, child.stderr, process.stderr);
    child.once("exit", (code, signal) => {
      if (stopping) return;
      log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the others`);
      void stop(1);
    });
  }

  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  const { host, port } = settings.api;
  log(`api on http://${host}:${port} (Swagger UI: http://${host}:${port}/docs); data in ${settings.dataDir}`);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
