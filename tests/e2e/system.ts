// The whole system as real processes, started the way scripts/start.ts starts it (api, worker and proxy,
// each `node --import tsx apps/<name>/src/server.ts`), for the end-to-end test and bench/autoscaling.
// Only the processes started here are ever signalled, by pid.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "@scaleout/queue";

export const root = join(import.meta.dirname, "..", "..");
/** The example app, for the process driver's launch template: `[process.execPath, exampleApp]`. */
export const exampleApp = join(root, "examples", "app", "server.js");

const apps = ["api", "worker", "proxy"] as const;
type AppName = (typeof apps)[number];

export interface SystemOptions {
  redisUrl: string;
  /** Redis key prefix of this system's own. */
  prefix: string;
  /** A temporary data directory: the registry, the process driver's records, the access log. */
  dataDir: string;
  compute: "process" | "docker" | "swarm";
  /** More environment for all three (DOCKER_HOST, ...). The worker must log at info: its start line is awaited. */
  env?: NodeJS.ProcessEnv;
  /** Lines of output kept for diagnostics; default 4000. */
  keepLines?: number;
  /** SCALEOUT_API_TOKEN for the three; `call` and `ok` then send it as a bearer token. */
  apiToken?: string;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export interface RunningSystem {
  /** `http://127.0.0.1:<port>` */
  api: string;
  pids: Record<AppName, number | undefined>;
  /** The last lines the three processes wrote, prefixed with their name. */
  output(): string;
  /** A REST call; answers the status and the parsed body (an error body too). */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** Like `call`, but throws unless the status is 2xx. */
  ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** SIGTERM to one process, SIGKILL after `timeoutMs`; resolves when it has exited. */
  stopOne(name: AppName, timeoutMs?: number): Promise<void>;
  /** Starts one process again after `stopOne` (a worker restart); resolves once it is spawned. */
  startOne(name: AppName): void;
  /** Proxy, worker, api in that order, as scripts/start.ts stops them. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL whatever is still running (a test's afterEach). */
  kill(): void;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

const alive = (child: ChildProcess | undefined): child is ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null;

/** Starts api, worker and proxy with fast mode on, and resolves once the api answers with Redis connected and the worker has started. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const keep = options.keepLines ?? 4000;
  const lines: string[] = [];
  const children = new Map<AppName, ChildProcess>();
  let workerStarted = false;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: "info",
    ...options.env,
    SCALEOUT_FAST: "1",
    SCALEOUT_DATA_DIR: options.dataDir,
    SCALEOUT_API_PORT: String(apiPort),
    SCALEOUT_REDIS_PREFIX: options.prefix,
    SCALEOUT_COMPUTE: options.compute,
    REDIS_URL: options.redisUrl,
    ...(options.apiToken !== undefined && { SCALEOUT_API_TOKEN: options.apiToken }),
  };

  const record = (name: string, stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    createInterface({ input: stream }).on("line", (line) => {
      if (name === "worker" && line.includes("worker started")) workerStarted = true;
      lines.push(`[${name}] ${line}`);
      if (lines.length > keep) lines.splice(0, lines.length - keep);
    });
  };

  const spawnApp = (name: AppName) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "apps", name, "src", "server.ts")], {
      cwd: root,
      // The api logs every request at info: only its warnings are worth keeping here.
      env: name === "api" ? { ...env, LOG_LEVEL: options.env?.API_LOG_LEVEL ?? "warn" } : env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.set(name, child);
    record(name, child.stdout);
    record(name, child.stderr);
    child.once("exit", (code, signal) => lines.push(`[${name}] exited (${signal ?? `code ${code}`})`));
  };
  for (const name of apps) spawnApp(name);

  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (options.apiToken !== undefined) headers.authorization = `Bearer ${options.apiToken}`;
    const res = await fetch(`${api}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };

  const stopOne = async (name: AppName, timeoutMs = 15_000) => {
    const child = children.get(name);
    if (!alive(child)) return;
    const done = exited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await done;
    clearTimeout(timer);
  };

  const system: RunningSystem = {
    api,
    pids: {
      api: children.get("api")?.pid,
      worker: children.get("worker")?.pid,
      proxy: children.get("proxy")?.pid,
    },
    output: () => lines.join("\n"),
    call,
    async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
      const answer = await call<T>(method, path, body);
      if (answer.status < 200 || answer.status > 299)
        throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    stopOne,
    startOne(name) {
      const child = children.get(name);
      if (alive(child)) throw new Error(`${name} is still running`);
      spawnApp(name);
    },
    async stop(timeoutMs = 15_000) {
      for (const name of ["proxy", "worker", "api"] as const) await stopOne(name, timeoutMs);
    },
    kill() {
      for (const child of children.values()) if (alive(child)) child.kill("SIGKILL");
    },
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const dead = [...children.entries()].find(([, child]) => !alive(child));
    if (dead) {
      system.kill();
      throw new Error(`${dead[0]} exited during start-up\n${system.output()}`);
    }
    try {
      const health = await call<{ dependencies?: Record<string, string> }>("GET", "/healthz");
      if (health.body.dependencies?.redis === "ok" && workerStarted) return system;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      system.kill();
      throw new Error(`the system did not start within 60 s\n${system.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Adds an HTTP listener forwarding to a target group on a free loopback port, and resolves with the port
 * once the proxy answers on it. A port found free can be taken before the proxy binds it (an outgoing
 * connection's ephemeral port, on a busy machine): then the listener moves to another port.
 */
export async function addListener(
  sys: RunningSystem,
  loadBalancer: string,
  targetGroupArn: string,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { listenerArn } = await sys.ok<{ listenerArn: string }>(
      "POST",
      `/v1/load-balancers/${loadBalancer}/listeners`,
      { protocol: "HTTP", port, defaultActions: [{ type: "forward", targetGroupArn }] },
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return port;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (attempt === 3) throw new Error(`the proxy did not bind a listener in 3 attempts\n${sys.output()}`);
    await sys.ok("DELETE", `/v1/listeners/${encodeURIComponent(listenerArn)}`);
  }
}

/**
 * A load balancer in front of an ip target group with fast health checks (1 s; healthy after 2 passes;
 * unhealthy only after 5 misses, so a busy instance on a loaded machine is not replaced) and
 * least-outstanding-requests balancing, behind a listener on a free port. Answers the group's ARN and
 * the listener's port.
 */
export async function addLoadBalancedGroup(
  sys: RunningSystem,
  name: string,
  options: { deregistrationDelaySeconds: number },
): Promise<{ targetGroupArn: string; targetGroup: string; port: number }> {
  const targetGroup = `${name}-tg`;
  await sys.ok("POST", "/v1/load-balancers", { name });
  const { targetGroupArn } = await sys.ok<{ targetGroupArn: string }>("POST", "/v1/target-groups", {
    name: targetGroup,
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckPath: "/health",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 5,
  });
  await sys.ok("PATCH", `/v1/target-groups/${targetGroup}/attributes`, {
    attributes: [
      { key: "deregistration_delay.timeout_seconds", value: String(options.deregistrationDelaySeconds) },
      { key: "load_balancing.algorithm.type", value: "least_outstanding_requests" },
    ],
  });
  const port = await addListener(sys, name, targetGroupArn);
  return { targetGroupArn, targetGroup, port };
}
