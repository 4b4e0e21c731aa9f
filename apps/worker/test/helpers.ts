import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ComputeDriver,
  createDockerDriver,
  createProcessDriver,
  detectDocker,
  ensureExampleImage,
  exampleAppPath,
  exampleImage,
  type ProcessDriverOptions,
} from "@scaleout/compute";
import { readSettings, type Settings } from "@scaleout/config";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { closeQueues, createQueues, createRedis, createRedisEvents, type Queues } from "@scaleout/queue";
import {
  type Activity,
  createContext,
  createServices,
  type Instance,
  type Services,
} from "@scaleout/services";
import { eventually, integrationTest } from "@scaleout/testing";
import type { Redis } from "ioredis";
import { createLogger } from "../src/log.ts";
import { type RunningWorker, type StartWorkerOptions, startWorker } from "../src/worker.ts";

export type DriverKind = "docker" | "process";

export const dockerAnswers = await detectDocker();
/** CI starts a Docker engine, so there a missing one fails the docker tests instead of skipping them. */
export const dockerRequired = process.env.CI === "true";
export const driverKinds: DriverKind[] =
  dockerAnswers || dockerRequired ? ["process", "docker"] : ["process"];

export const workerEntry = fileURLToPath(new URL("../src/server.ts", import.meta.url));
// Node.js itself with tsx's loader, not the tsx CLI: the CLI runs the script in a child process of its
// own, which would survive the SIGKILL meant for the worker.
const tsxLoader = new URL("../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

let imageReady: Promise<string> | undefined;
/** The example image, built once per test file (a no-op when it exists). */
export function exampleImageReady(): Promise<string> {
  imageReady ??= ensureExampleImage();
  return imageReady;
}

/**
 * Instance processes (process group leaders with an instance id in their environment) whose output goes
 * to a log file in this data directory: the ones a worker spawned as a child process started, recorded or
 * not. Looks at /proc, not at the driver. (Instances no longer inherit SCALEOUT_DATA_DIR: their
 * environment is clean.)
 */
export function instanceProcessesOf(dataDir: string): Array<{ pid: number; instanceId: string }> {
  const found: Array<{ pid: number; instanceId: string }> = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const leader = Number(fields[2]) === pid && fields[0] !== "Z";
      const instanceId = environment.find((v) => v.startsWith("SCALEOUT_INSTANCE_ID="))?.slice(21);
      if (leader && instanceId && readlinkSync(`/proc/${pid}/fd/1`).startsWith(`${dataDir}/`)) {
        found.push({ pid, instanceId });
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** One scaleout "installation" for a test: registry, queues, services, a driver to look with, a worker. */
export interface System {
  kind: DriverKind;
  settings: Settings;
  handle: DbHandle;
  services: Services;
  queues: Queues;
  /** The test's own view of the runtime (for the process driver: the same state directory as the worker's). */
  driver: ComputeDriver;
  worker: RunningWorker | undefined;
  startWorker(options?: Partial<StartWorkerOptions>): Promise<RunningWorker>;
  stopWorker(): Promise<void>;
  /** The worker as a separate process (server.ts), for crash tests. */
  spawnWorker(): ChildProcess;
  groupName(suffix?: string): string;
}

export function settingsFor(kind: DriverKind, dataDir: string, redisUrl: string, prefix: string): Settings {
  return readSettings({
    ...process.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    SCALEOUT_REDIS_PREFIX: prefix,
    SCALEOUT_FAST: "1",
    SCALEOUT_COMPUTE: kind,
  });
}

/** The process driver a test's worker gets, as the worker's own would be made, with `options` on top. */
export function processDriverFor(
  settings: Settings,
  options: Partial<ProcessDriverOptions> = {},
): ComputeDriver {
  return createProcessDriver({ stateDir: join(settings.dataDir, "instances"), graceSeconds: 1, ...options });
}

function driverFor(kind: DriverKind, settings: Settings): ComputeDriver {
  return kind === "docker" ? createDockerDriver({ graceSeconds: 1 }) : processDriverFor(settings);
}

const quiet = process.env.WORKER_TEST_LOG === "1" ? createLogger("debug") : createLogger("error");

async function buildSystem(
  kind: DriverKind,
  dataDir: string,
  redisUrl: string,
  prefix: string,
  use: (system: System) => Promise<void>,
): Promise<void> {
  const settings = settingsFor(kind, dataDir, redisUrl, prefix);
  const handle = createDb(settings.databaseFile);
  runMigrations(handle.db);
  const redis: Redis = createRedis(redisUrl, "producer");
  redis.on("error", () => {});
  const queues = createQueues(redis, { prefix });
  // The producer does not queue commands while disconnected: be connected before the test announces.
  await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
  const events = createRedisEvents(redis, queues, prefix, () => {});
  const services = createServices(
    createContext(handle.db, { partition: settings.partition, limits: settings.limits, events }),
  );
  const driver = driverFor(kind, settings);
  const groups: string[] = [];
  const children: ChildProcess[] = [];
  const system: System = {
    kind,
    settings,
    handle,
    services,
    queues,
    driver,
    worker: undefined,
    async startWorker(options = {}) {
      system.worker = await startWorker({
        settings,
        // The worker gets a driver of its own, as in production; the test's driver only looks.
        driver: driverFor(kind, settings),
        log: quiet,
        ...options,
      });
      return system.worker;
    },
    async stopWorker() {
      const worker = system.worker;
      system.worker = undefined;
      if (worker) {
        await worker.close();
        await worker.driver.close();
      }
    },
    spawnWorker() {
      const child = spawn(process.execPath, ["--import", tsxLoader, workerEntry], {
        env: {
          ...process.env,
          SCALEOUT_DATA_DIR: dataDir,
          REDIS_URL: redisUrl,
          SCALEOUT_REDIS_PREFIX: prefix,
          SCALEOUT_FAST: "1",
          SCALEOUT_COMPUTE: kind,
          LOG_LEVEL: process.env.WORKER_TEST_LOG === "1" ? "debug" : "error",
        },
        stdio: ["ignore", "inherit", "inherit"],
      });
      children.push(child);
      return child;
    },
    groupName(suffix = "web") {
      // Unique per test: docker containers of parallel test files share one engine.
      const name = `${suffix}-${prefix}`;
      groups.push(name);
      return name;
    },
  };
  try {
    await use(system);
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        await gone;
      }
    }
    await system.stopWorker();
    // Stop whatever the test left running: only this test's groups (the engine is shared).
    const leftovers =
      kind === "docker" ? (await Promise.all(groups.map((g) => driver.list(g)))).flat() : await driver.list();
    for (const instance of leftovers) await driver.terminate(instance.instanceId, { graceSeconds: 0 });
    // And any a killed worker spawned without recording it (the driver finds those by their id).
    if (kind === "process") {
      for (const { instanceId } of instanceProcessesOf(dataDir)) {
        await driver.terminate(instanceId, { graceSeconds: 0 });
      }
    }
    await driver.close();
    // The test's prefix is never used again: leave nothing of it in a shared Redis.
    await Promise.all(Object.values(queues).map((queue) => queue.obliterate({ force: true })));
    await closeQueues(queues);
    redis.disconnect();
    handle.close();
  }
}

export const systemTest = integrationTest.extend<{ kind: DriverKind; system: System }>({
  kind: "process",
  system: async ({ kind, dataDir, redisUrl, prefix }, use) => {
    if (kind === "docker") await exampleImageReady();
    await buildSystem(kind, dataDir, redisUrl, prefix, use);
  },
});

/** A launch template that runs the example app with the driver at hand. */
export function createExampleTemplate(
  system: System,
  name: string,
  overrides: { image?: string; command?: string[] } = {},
): string {
  const data =
    system.kind === "docker"
      ? { image: overrides.image ?? exampleImage, ...(overrides.command && { command: overrides.command }) }
      : overrides.image !== undefined
        ? // A process system given an image: its launches fail, as a user's would.
          { image: overrides.image }
        : { command: overrides.command ?? [process.execPath, exampleAppPath] };
  return system.services.launchTemplates.create({ launchTemplateName: name, ...data }).launchTemplateId;
}

/** An ip target group with fast health checks and the given deregistration delay. */
export function createIpTargetGroup(system: System, name: string, delaySeconds: number): string {
  const { targetGroup } = system.services.targetGroups.create({
    name,
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckPath: "/health",
    healthCheckIntervalSeconds: 1,
  });
  system.services.targetGroups.modifyAttributes(targetGroup.targetGroupArn, [
    { key: "deregistration_delay.timeout_seconds", value: String(delaySeconds) },
  ]);
  return targetGroup.targetGroupArn;
}

export function instancesOf(system: System, group: string): Instance[] {
  return system.services.groups.instances(group);
}

export function activitiesOf(system: System, group: string): Activity[] {
  return system.services.groups.activities(group, { pageSize: 100 }).items;
}

/** Waits until the group has exactly `count` InService instances and nothing in transit. */
export async function waitForInService(system: System, group: string, count: number, timeoutMs = 20_000) {
  return eventually(
    () => {
      const instances = instancesOf(system, group);
      return instances.length === count && instances.every((i) => i.lifecycleState === "InService")
        ? instances
        : undefined;
    },
    { timeoutMs, message: `${count} InService instances in ${group}` },
  );
}

/** GET on loopback (never any other address). */
export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): instances come and go on these ports.
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path}`)));
    req.on("error", reject);
  });
}

export async function answers(port: number, path = "/health"): Promise<boolean> {
  try {
    return (await get(port, path)).status === 200;
  } catch {
    return false;
  }
}

export async function waitUntilAnswering(port: number, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => ((await answers(port)) ? true : undefined), {
    timeoutMs,
    intervalMs: 10,
    message: `an answer on 127.0.0.1:${port}`,
  });
}
