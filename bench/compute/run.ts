// bench/compute: how fast the worker turns a desired-capacity change into a serving instance, and a
// scale-in into a stopped one, per compute driver. Runs the real worker (in process) against a real Redis
// and SQLite; traffic goes to 127.0.0.1 only. Usage: npx tsx bench/compute/run.ts [rounds]

import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, startWorker } from "../../apps/worker/src/index.ts";
import {
  type ComputeDriver,
  createDockerDriver,
  createProcessDriver,
  detectDocker,
  ensureExampleImage,
  exampleAppPath,
  exampleImage,
} from "../../packages/compute/src/index.ts";
import { readSettings } from "../../packages/config/src/index.ts";
import { createDb, runMigrations } from "../../packages/db/src/index.ts";
import {
  closeQueues,
  createQueues,
  createRedis,
  createRedisEvents,
  type PrivateRedis,
  startPrivateRedis,
} from "../../packages/queue/src/index.ts";
import { createContext, createServices } from "../../packages/services/src/index.ts";

type Kind = "process" | "docker";

const rounds = Number(process.argv[2] ?? 5);
/** The targets, to a healthy instance with the image already present. */
const healthyTargetMs: Record<Kind, number> = { docker: 2_000, process: 1_000 };

interface Round {
  /** Desired change → the reconcile pass has written the Pending row (queue latency + pass preamble). */
  pendingMs: number;
  /** → InService: the runtime has started it and it is registered in the target group. */
  inServiceMs: number;
  /** → GET /health on its port answers 200. */
  healthyMs: number;
  /** Scale-in → gone from the driver. */
  terminatedMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: "127.0.0.1", port, path: "/health", agent: false, timeout: 1_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function benchDriver(kind: Kind, redisUrl: string): Promise<Round[]> {
  const dataDir = mkdtempSync(join(tmpdir(), `scaleout-bench-${kind}-`));
  const prefix = `bench${process.pid}${kind}`;
  const settings = readSettings({
    ...process.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    SCALEOUT_REDIS_PREFIX: prefix,
    SCALEOUT_FAST: "1",
    SCALEOUT_COMPUTE: kind,
  });
  const makeDriver = (): ComputeDriver =>
    kind === "docker" ? createDockerDriver() : createProcessDriver({ stateDir: join(dataDir, "instances") });
  const workerDriver = makeDriver();
  const probe = makeDriver();
  const worker = await startWorker({ settings, driver: workerDriver, log: createLogger("error") });

  const handle = createDb(settings.databaseFile);
  runMigrations(handle.db);
  const redis = createRedis(redisUrl, "producer");
  redis.on("error", () => {});
  const queues = createQueues(redis, { prefix });
  await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
  const events = createRedisEvents(redis, queues, prefix, (error, message) => console.warn(message, error));
  const services = createServices(
    createContext(handle.db, { partition: settings.partition, limits: settings.limits, events }),
  );
  const group = `bench-${kind}-${process.pid}`;
  try {
    services.launchTemplates.create({
      launchTemplateName: `bench-${kind}`,
      ...(kind === "docker" ? { image: exampleImage } : { command: [process.execPath, exampleAppPath] }),
    });
    const { targetGroup } = services.targetGroups.create({
      name: `bench-${kind}`,
      protocol: "HTTP",
      port: 80,
      targetType: "ip",
    });
    services.targetGroups.modifyAttributes(targetGroup.targetGroupArn, [
      { key: "deregistration_delay.timeout_seconds", value: "0" },
    ]);
    services.groups.create({
      autoScalingGroupName: group,
      launchTemplate: { launchTemplateName: `bench-${kind}` },
      minSize: 0,
      maxSize: 1,
      desiredCapacity: 0,
      targetGroupARNs: [targetGroup.targetGroupArn],
    });
    // Let the worker's start-up resync and first schedules settle.
    await sleep(1_000);

    const results: Round[] = [];
    for (let round = 0; round <= rounds; round++) {
      const start = performance.now();
      services.groups.setDesiredCapacity(group, { desiredCapacity: 1 });
      const pending = await until(() => services.groups.instances(group)[0], "a Pending row");
      const pendingMs = performance.now() - start;
      const port = pending.port ?? 0;
      let inServiceMs = Number.NaN;
      let healthyMs = Number.NaN;
      await until(async () => {
        const now = performance.now() - start;
        if (Number.isNaN(inServiceMs) && services.groups.instances(group)[0]?.lifecycleState === "InService")
          inServiceMs = now;
        if (Number.isNaN(healthyMs) && (await healthy(port))) healthyMs = performance.now() - start;
        return Number.isNaN(inServiceMs) || Number.isNaN(healthyMs) ? undefined : true;
      }, "InService and healthy");

      const stop = performance.now();
      services.groups.setDesiredCapacity(group, { desiredCapacity: 0 });
      await until(async () => ((await probe.list(group)).length === 0 ? true : undefined), "terminated");
      const terminatedMs = performance.now() - stop;
      await until(() => (services.groups.instances(group).length === 0 ? true : undefined), "row Terminated");
      // Round 0 warms up (first launch of the image or binary, JIT): not counted.
      if (round > 0) results.push({ pendingMs, inServiceMs, healthyMs, terminatedMs });
      await sleep(300);
    }
    return results;
  } finally {
    await worker.close();
    for (const instance of await probe.list(group))
      await probe.terminate(instance.instanceId, { graceSeconds: 0 });
    await workerDriver.close();
    await probe.close();
    await Promise.all(Object.values(queues).map((queue) => queue.obliterate({ force: true })));
    await closeQueues(queues);
    redis.disconnect();
    handle.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let privateRedis: PrivateRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    privateRedis = await startPrivateRedis();
    redisUrl = privateRedis.url;
  }
  const kinds: Kind[] = ["process"];
  if (await detectDocker()) {
    await ensureExampleImage();
    kinds.push("docker");
  } else console.log("docker: no engine answers on DOCKER_HOST or /var/run/docker.sock; skipped");

  const rows: string[][] = [];
  try {
    for (const kind of kinds) {
      const results = await benchDriver(kind, redisUrl);
      const m = (key: keyof Round) => median(results.map((r) => r[key]));
      const target = healthyTargetMs[kind];
      rows.push([
        kind,
        `${m("pendingMs").toFixed(0)}`,
        `${m("inServiceMs").toFixed(0)}`,
        `${m("healthyMs").toFixed(0)}`,
        `< ${target}`,
        m("healthyMs") < target ? "PASS" : "MISS",
        `${m("terminatedMs").toFixed(0)}`,
      ]);
    }
  } finally {
    await privateRedis?.stop();
  }
  const header = ["driver", "row ms", "InService ms", "healthy ms", "target", "", "terminated ms"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(`\nmedians of ${rounds} rounds (after one warm-up), fast mode, image present:`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(
    "\nrow: desired change until the reconcile pass wrote the Pending row; InService: launched and registered;\n" +
      "healthy: GET /health answers 200 on the instance's port; terminated: scale-in (deregistration delay 0)\n" +
      "until the instance is gone from the driver.",
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
