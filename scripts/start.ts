// `npm start`: the whole system on this machine, the composition root of the supervisor. Takes the data
// directory's lock and checks the api's port, builds the bundles (scripts/build.mjs), starts a private
// redis-server when REDIS_URL is unset, then the api, the worker and the proxy as child processes,
// prefixes their output, restarts any that dies (scripts/supervisor.ts), and on SIGINT or SIGTERM stops
// them in order (proxy and worker drain, api finishes in-flight requests) and Redis last.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSettings } from "@scaleout/config";
import {
  freePort,
  privateRedisUrl,
  spawnRedisServer,
  stopOrphanedRedis,
  waitForRedisReady,
} from "@scaleout/queue";
import { proxyNodeEnv, proxyNodeFlags } from "../apps/proxy/src/process-settings.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { ensurePortFree, waitForPort } from "./port-probe.ts";
import { jsonLine, type LogRecord, parseLine, prettyLine } from "./pretty-log.ts";
import { createSupervisor, type ServiceSpec, type Supervisor } from "./supervisor.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = ["api", "worker", "proxy"] as const;
/**
 * Node flags per process. A small young generation keeps RSS down: V8 otherwise reserves up to ~48 MB
 * of semi-space; the mostly idle api and worker take the smallest. The proxy's are declared with it
 * (apps/proxy/src/process-settings.ts), where its workers and the benches take them too.
 */
const nodeFlags: Record<(typeof apps)[number], readonly string[]> = {
  api: ["--max-semi-space-size=2"],
  worker: ["--max-semi-space-size=2"],
  proxy: proxyNodeFlags,
};
/**
 * Environment a process gets unless this one's has its own: glibc reads its malloc settings at exec
 * (the proxy's: process-settings.ts).
 */
const nodeEnv: Record<(typeof apps)[number], Readonly<Record<string, string>>> = {
  api: {},
  worker: {},
  proxy: proxyNodeEnv,
};
const stopTimeoutMs = 15_000;
/** Said on Ctrl-C: the instances are meant to outlive scaleout (the next start adopts them). */
const stoppedMessage =
  "scaleout stopped; its instances keep running and the next npm start adopts them. To stop them: npm run stop-instances";

/** On a terminal, lines are pretty-printed with a colour per process; otherwise JSON (pretty-log.ts). */
const pretty = process.stdout.isTTY === true;
const colour = pretty && process.env.NO_COLOR === undefined;

function emit(record: LogRecord): void {
  process.stdout.write(`${pretty ? prettyLine(record, colour) : jsonLine(record)}\n`);
}

function log(message: string, level = "info"): void {
  emit({ level, time: new Date().toISOString(), process: "scaleout", pid: process.pid, msg: message });
}

async function main(): Promise<void> {
  const settings = readSettings();
  const services: ServiceSpec<ChildProcess>[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Checked before the build, so a second start neither rebuilds the running system's bundles nor says
  // more than its one line.
  const lock = lockDataDir(settings.dataDir);
  process.once("exit", () => lock.release());
  let supervisor: Supervisor | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log("stopping...");
    (supervisor?.stop() ?? Promise.resolve()).then(
      () => {
        log(stoppedMessage);
        process.exit(0);
      },
      (error: unknown) => {
        log(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a terminal's Ctrl-C also arrives relayed by the bootstrap (npm start), and a
  // second signal must not kill this process with its default action mid-stop.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await ensurePortFree(settings.api.host, settings.api.port, "the api", "SCALEOUT_API_PORT");
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) throw new Error("build failed");

  if (!settings.redisUrl) {
    // The same port and data directory on every restart, so the others reconnect and the queues survive.
    const port = await freePort();
    const dir = join(settings.dataDir, "redis");
    // An earlier start killed with -9 took its data-dir lock to the grave but left its Redis running.
    const orphan = await stopOrphanedRedis(dir);
    if (orphan !== undefined) log(`stopped the redis-server (pid ${orphan}) an earlier start left running`);
    // With a token the api is meant to be guarded; then so is Redis, which holds its queues. The password
    // reaches the children only inside REDIS_URL and is never logged.
    const password = settings.api.token === undefined ? undefined : randomBytes(24).toString("hex");
    env.REDIS_URL = privateRedisUrl(port, password);
    services.push({
      name: "redis",
      start: () =>
        spawnRedisServer({
          port,
          dir,
          persist: true,
          detached: true,
          ...(password !== undefined && { password }),
        }),
      ready: (child) => waitForRedisReady(child),
      stopTimeoutMs: 5_000,
    });
    log(
      `private redis-server at ${privateRedisUrl(port)}${password ? " (with a password)" : ""}, data in ${dir}`,
    );
  }
  for (const name of apps) {
    // Proxies fed by the api serve instead (docs/multi-host.md).
    if (name === "proxy" && !settings.proxy.local) continue;
    services.push({
      name,
      // dist/<app>.mjs, built above. detached: a process group of its own, so a terminal's Ctrl-C
      // reaches only this supervisor, which stops them in order.
      start: () =>
        spawn(
          process.execPath,
          [...nodeFlags[name], "--enable-source-maps", join(root, "dist", `${name}.mjs`)],
          {
            cwd: root,
            env: { ...nodeEnv[name], ...env },
            // ipc: the channel closes when this process dies, even by kill -9, and the app then stops.
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            detached: true,
          },
        ),
      stopTimeoutMs,
    });
  }

  const started = createSupervisor({
    services,
    log,
    output: (name, stream, line) => {
      // Redis's own chatter stays out of the console; its last line still names the cause of a death.
      if (name === "redis") return;
      emit(parseLine(name, stream, line, new Date()));
    },
  });
  supervisor = started;
  // Whatever ends this process, its detached children must not outlive it.
  process.once("exit", () => {
    for (const pid of Object.values(started.pids())) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  });

  if (stopping) return;
  await started.start();
  const { host, port } = settings.api;
  // The line below is the one to look for: said once the api answers (a restart loop says why instead).
  if (!(await waitForPort(host, port, 60_000)) || stopping) return;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log(
    `scaleout is up: console ${base}/console, API docs ${base}/docs, REST ${base}/v1, AWS endpoint ${base} (aws --endpoint-url ${base}); data in ${settings.dataDir}`,
  );
}

main().catch((error: unknown) => {
  // One line: a second start against a port or data directory in use, a missing redis-server, ...
  log(error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error), "error");
  process.exit(1);
});
