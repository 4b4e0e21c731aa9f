// The api in this process and a real worker (apps/worker/src/server.ts as a child process, process
// driver) over one registry and a private Redis prefix: what the lifecycle hook tests drive through the
// SDK and GET /v1/events. Only the worker started here and its instances are ever stopped, by pid or id.
import { type ChildProcess, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { createProcessDriver, exampleAppPath } from "@scaleout/compute";
import { readSettings } from "@scaleout/config";
import { createDb, runMigrations } from "@scaleout/db";
import {
  closeQueues,
  createEventFollower,
  createQueues,
  createRedis,
  createRedisEvents,
} from "@scaleout/queue";
import { createContext, createServices, type Services } from "@scaleout/services";
import { buildApp } from "../src/app.ts";

const workerEntry = fileURLToPath(new URL("../../worker/src/server.ts", import.meta.url));
// Node.js with tsx's loader, not the tsx CLI, whose own child would outlive a signal meant for the worker.
const tsxLoader = new URL("../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface WorkerSystem {
  endpoint: string;
  services: Services;
  clients(): { autoScaling: AutoScalingClient; ec2: EC2Client; elbv2: ElasticLoadBalancingV2Client };
  /** The command a process-driver launch template runs: the example app. */
  exampleCommand: string[];
  /** The worker's last lines, for failure messages. */
  output(): string;
  /** SIGKILL to the worker: a crash at whatever point it had reached. */
  killWorker(): Promise<void>;
  /** Starts a (new) worker; resolves once it runs. */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkerSystem(options: {
  redisUrl: string;
  prefix: string;
  dataDir: string;
  heartbeatMs?: number;
  maxClients?: number;
  apiToken?: string;
  /** Browser origins allowed to call (CORS). */
  allowedOrigins?: string[];
  /** false: the api alone (events stream tests). */
  worker?: boolean;
}): Promise<WorkerSystem> {
  const env = {
    ...process.env,
    SCALEOUT_DATA_DIR: options.dataDir,
    REDIS_URL: options.redisUrl,
    SCALEOUT_REDIS_PREFIX: options.prefix,
    SCALEOUT_FAST: "1",
    SCALEOUT_COMPUTE: "process",
  };
  const settings = readSettings(env);
  const handle = createDb(settings.databaseFile);
  runMigrations(handle.db);
  const redis = createRedis(options.redisUrl, "producer");
  redis.on("error", () => {});
  const queues = createQueues(redis, { prefix: options.prefix });
  await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
  const events = createRedisEvents(redis, queues, options.prefix, () => {}, {
    account: settings.partition.accountId,
    region: settings.partition.region,
  });
  const services = createServices(
    createContext(handle.db, { partition: settings.partition, limits: settings.limits, events }),
  );
  const reader = createRedis(options.redisUrl, "worker");
  reader.on("error", () => {});
  const follower = createEventFollower(reader, redis, options.prefix, { blockMs: 1_000 });
  const app = await buildApp({
    services,
    ...(options.apiToken !== undefined && { apiToken: options.apiToken }),
    ...(options.allowedOrigins && {
      trust: { bindHost: "127.0.0.1", allowedHosts: [], allowedOrigins: options.allowedOrigins },
    }),
    events: {
      follower,
      ...(options.heartbeatMs !== undefined && { heartbeatMs: options.heartbeatMs }),
      ...(options.maxClients !== undefined && { maxClients: options.maxClients }),
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const lines: string[] = [];
  let worker: ChildProcess | undefined;

  /** Spawns the worker and resolves once it has logged its start. */
  function spawnWorker(): Promise<void> {
    const child = spawn(process.execPath, ["--import", tsxLoader, workerEntry], {
      env: { ...env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the worker did not start\n${lines.join("\n")}`)),
        60_000,
      );
      const record = (stream: NodeJS.ReadableStream | null) => {
        if (!stream) return;
        createInterface({ input: stream }).on("line", (line) => {
          lines.push(line);
          if (lines.length > 500) lines.shift();
          if (line.includes("worker started")) {
            clearTimeout(timer);
            resolve();
          }
        });
      };
      record(child.stdout);
      record(child.stderr);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the worker exited (${signal ?? code})\n${lines.join("\n")}`));
      });
    });
  }

  /** Stops the worker with `signal` (SIGKILL after 15 s) and resolves once it has exited. */
  async function stopWorker(signal: NodeJS.Signals): Promise<void> {
    const child = worker;
    worker = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await gone;
    clearTimeout(kill);
  }

  if (options.worker !== false) await spawnWorker();

  const config = {
    endpoint,
    region: settings.partition.region,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  };
  return {
    endpoint,
    services,
    exampleCommand: [process.execPath, exampleAppPath],
    clients: () => ({
      autoScaling: new AutoScalingClient(config),
      ec2: new EC2Client(config),
      elbv2: new ElasticLoadBalancingV2Client(config),
    }),
    output: () => lines.join("\n"),
    killWorker: () => stopWorker("SIGKILL"),
    startWorker: spawnWorker,
    async close() {
      await app.close();
      await stopWorker("SIGTERM");
      // Instances outlive their worker by design: stop this test's.
      const driver = createProcessDriver({ stateDir: join(options.dataDir, "instances"), graceSeconds: 0 });
      for (const instance of await driver.list())
        await driver.terminate(instance.instanceId, { graceSeconds: 0 });
      await driver.close();
      await Promise.all(Object.values(queues).map((queue) => queue.obliterate({ force: true })));
      await closeQueues(queues);
      redis.disconnect();
      handle.close();
    },
  };
}
