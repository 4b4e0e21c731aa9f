// bench/deploy: a zero-downtime deployment rehearsed locally. An instance refresh of a 4-instance group
// behind a real listener of the proxy under a steady loopback load, once with MinHealthyPercentage 50
// (terminate first, two batches) and once with MinHealthyPercentage 100 and MaxHealthyPercentage 200
// (launch first, one batch). The real api, worker and proxy run as child processes in fast mode, configured
// through the REST api; instances come from the process driver (examples/app). Prints the failed requests
// (target 0), the lowest healthy percentage seen each second (never below the minimum), and the
// refresh's duration beside its floor: batches × (launch + first healthy check + warm-up). Every request
// goes to 127.0.0.1 and every load stops by itself.
//
//   npx tsx bench/deploy/run.ts [--warmup 2] [--concurrency 4]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PrivateRedis, startPrivateRedis } from "@scaleout/queue";
import { createProcessDriver } from "../../packages/compute/src/index.ts";
import { createTraffic, driveLoad, type Traffic } from "../../tests/e2e/load.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "../../tests/e2e/system.ts";
import { median } from "../lib/measure.ts";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const warmupS = Number(flag("warmup", "2"));
const concurrency = Number(flag("concurrency", "4"));
const desired = 4;
/** The refresh must finish within this, or the run reports it and goes on. */
const refreshTimeoutMs = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Scenario {
  label: string;
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
}
const scenarios: Scenario[] = [
  { label: "min 50", minHealthyPercentage: 50, maxHealthyPercentage: 100 },
  { label: "min 100 max 200", minHealthyPercentage: 100, maxHealthyPercentage: 200 },
];

interface Refresh {
  status: string;
  statusReason?: string;
  startTime?: string;
  endTime?: string;
  percentageComplete: number;
}
interface Activity {
  description: string;
  cause: string;
  startTime: string;
  endTime?: string;
}

interface Outcome {
  scenario: Scenario;
  failed: number;
  ok: number;
  /** Lowest healthy percentage of the desired capacity in each second of the refresh. */
  lowestEachSecond: number[];
  durationS: number;
  batches: number;
  launchS: number;
  healthCheckS: number;
  floorS: number;
  status: string;
  /** The refresh's activities, seconds from its start. */
  timeline: string[];
}

/** Batches the refresh needs: how many instances it may replace at once (core's refreshBounds). */
function batchesOf(s: Scenario): number {
  const ceiling = Math.max(desired, Math.floor((desired * s.maxHealthyPercentage) / 100));
  let floor = Math.ceil((desired * s.minHealthyPercentage) / 100);
  if (floor >= ceiling) floor = ceiling - 1;
  const perBatch = Math.min(desired, ceiling - floor);
  return Math.ceil(desired / perBatch);
}

async function runScenario(sys: RunningSystem, scenario: Scenario, index: number): Promise<Outcome> {
  const name = `deploy${index}`;
  const { targetGroupArn, targetGroup, port } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 1,
  });
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: [process.execPath, exampleApp],
    environment: { APP_VERSION: "1" },
  });
  await sys.ok("POST", `/v1/launch-templates/${name}/versions`, {
    sourceVersion: "1",
    environment: { APP_VERSION: "2" },
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name, version: "1" },
    minSize: 1,
    maxSize: 2 * desired,
    desiredCapacity: desired,
    targetGroupARNs: [targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 1,
  });
  /** The ports of the healthy targets. */
  const healthyPorts = async () =>
    (
      await sys.ok<{
        targetHealthDescriptions: Array<{ target: { port: number }; targetHealth: { state: string } }>;
      }>("GET", `/v1/target-groups/${targetGroup}/health`)
    ).targetHealthDescriptions
      .filter((t) => t.targetHealth.state === "healthy")
      .map((t) => t.target.port);
  const healthy = async () => (await healthyPorts()).length;
  await until(async () => ((await healthy()) === desired ? true : undefined), `${desired} healthy targets`);
  // Settled: every instance has been healthy a moment, as a group in service would be.
  await sleep(1000);

  const traffic: Traffic = createTraffic();
  const load = driveLoad(traffic, {
    url: `http://127.0.0.1:${port}/sleep?ms=5`,
    concurrency,
    pauseMs: 5,
    maxMs: refreshTimeoutMs + 30_000,
  });
  await sleep(1000);
  const { instanceRefreshId } = await sys.ok<{ instanceRefreshId: string }>(
    "POST",
    `/v1/auto-scaling-groups/${name}/instance-refreshes`,
    {
      desiredConfiguration: { launchTemplate: { launchTemplateName: name, version: "2" } },
      preferences: {
        minHealthyPercentage: scenario.minHealthyPercentage,
        maxHealthyPercentage: scenario.maxHealthyPercentage,
        instanceWarmup: warmupS,
      },
    },
  );
  const started = Date.now();
  const lowest: number[] = [];
  /** When each target port was first seen healthy (polled every 100 ms). */
  const firstHealthy = new Map<number, number>();
  let refresh: Refresh | undefined;
  // Sample the healthy targets every 100 ms; keep each second's lowest.
  for (;;) {
    const second = Math.floor((Date.now() - started) / 1000);
    const ports = await healthyPorts();
    for (const p of ports) if (!firstHealthy.has(p)) firstHealthy.set(p, Date.now());
    const percentage = Math.round((ports.length * 100) / desired);
    lowest[second] = Math.min(lowest[second] ?? Number.POSITIVE_INFINITY, percentage);
    const list = await sys.ok<{ instanceRefreshes: Array<Refresh & { instanceRefreshId: string }> }>(
      "GET",
      `/v1/auto-scaling-groups/${name}/instance-refreshes`,
    );
    refresh = list.instanceRefreshes.find((r) => r.instanceRefreshId === instanceRefreshId);
    if (refresh && !["Pending", "InProgress", "Baking"].includes(refresh.status)) break;
    if (Date.now() - started > refreshTimeoutMs) break;
    await sleep(100);
  }
  // A little traffic after the last replacement: the new instances serve on their own.
  await sleep(1000);
  await load.stop();

  const { activities } = await sys.ok<{ activities: Activity[] }>(
    "GET",
    `/v1/auto-scaling-groups/${name}/activities?pageSize=100`,
  );
  const refreshStart = Date.parse(refresh?.startTime ?? new Date(started).toISOString());
  const launches = activities
    .filter(
      (a) => a.description.startsWith("Launching") && Date.parse(a.startTime) >= refreshStart && a.endTime,
    )
    .map((a) => (Date.parse(a.endTime ?? a.startTime) - Date.parse(a.startTime)) / 1000);
  const launchS = median(launches);
  // First healthy check: from a replacement's InService (its launch activity's end) to its target first
  // seen healthy.
  const { instances } = await sys.ok<{ instances: Array<{ instanceId: string; port?: number }> }>(
    "GET",
    `/v1/auto-scaling-groups/${name}/instances`,
  );
  const healthChecks = instances.flatMap((instance) => {
    const launch = activities.find((a) => a.description.endsWith(instance.instanceId) && a.endTime);
    const seen = instance.port === undefined ? undefined : firstHealthy.get(instance.port);
    return launch?.endTime && seen ? [(seen - Date.parse(launch.endTime)) / 1000] : [];
  });
  const healthCheckS = median(healthChecks);
  const timeline = activities
    .filter((a) => Date.parse(a.startTime) >= refreshStart)
    .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime))
    .map(
      (a) =>
        `+${((Date.parse(a.startTime) - refreshStart) / 1000).toFixed(1)}s ${a.description.split(":")[0]}`,
    );
  const batches = batchesOf(scenario);
  const durationS =
    refresh?.startTime && refresh.endTime
      ? (Date.parse(refresh.endTime) - Date.parse(refresh.startTime)) / 1000
      : Number.NaN;
  await sys.call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`);
  await until(
    async () =>
      (await sys.call("GET", `/v1/auto-scaling-groups/${name}`)).status === 404 ? true : undefined,
    `group ${name} to be deleted`,
  );
  return {
    scenario,
    failed: traffic.failures.length,
    ok: traffic.ok,
    lowestEachSecond: lowest.map((v) => (Number.isFinite(v) ? v : Number.NaN)),
    durationS,
    batches,
    launchS,
    healthCheckS,
    floorS: batches * (launchS + healthCheckS + warmupS),
    timeline,
    status: `${refresh?.status ?? "unknown"}${refresh?.statusReason ? ` (${refresh.statusReason})` : ""}`,
  };
}

function print(outcome: Outcome): void {
  const { scenario: s } = outcome;
  const minimumOk = outcome.lowestEachSecond.every((v) => Number.isNaN(v) || v >= s.minHealthyPercentage);
  console.log(
    `\n${s.label}: MinHealthyPercentage ${s.minHealthyPercentage}, MaxHealthyPercentage ${s.maxHealthyPercentage}, InstanceWarmup ${warmupS} s, ${desired} instances`,
  );
  console.log(`  refresh: ${outcome.status}`);
  console.log(`  activities: ${outcome.timeline.join(", ")}`);
  console.log(
    `  requests: ${outcome.ok} ok, ${outcome.failed} failed (target 0: ${outcome.failed === 0 ? "PASS" : "MISS"})`,
  );
  console.log(
    `  lowest healthy % each second: ${outcome.lowestEachSecond.map((v) => (Number.isNaN(v) ? "-" : String(v))).join(" ")}`,
  );
  console.log(
    `  never below ${s.minHealthyPercentage} %: ${minimumOk ? "PASS" : "MISS"} (lowest ${Math.min(...outcome.lowestEachSecond.filter((v) => !Number.isNaN(v)))} %)`,
  );
  console.log(
    `  duration ${outcome.durationS.toFixed(1)} s; floor ${outcome.floorS.toFixed(1)} s = ${outcome.batches} batch(es) × (launch ${outcome.launchS.toFixed(2)} s + first healthy check ${outcome.healthCheckS.toFixed(2)} s + warm-up ${warmupS} s)`,
  );
}

async function main(): Promise<void> {
  let privateRedis: PrivateRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    privateRedis = await startPrivateRedis();
    redisUrl = privateRedis.url;
  }
  const dataDir = mkdtempSync(join(tmpdir(), "scaleout-bench-deploy-"));
  let running: RunningSystem | undefined;
  process.on("exit", () => running?.kill());
  try {
    const sys = await startSystem({
      redisUrl,
      prefix: `bench${randomBytes(4).toString("hex")}`,
      dataDir,
      compute: "process",
    });
    running = sys;
    try {
      for (const [index, scenario] of scenarios.entries()) print(await runScenario(sys, scenario, index));
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      console.error(sys.output().split("\n").slice(-40).join("\n"));
      process.exitCode = 1;
    } finally {
      await sys.stop();
      running = undefined;
      // Instances outlive the worker by design: whatever still runs is stopped through a driver of its own.
      const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
      for (const instance of await driver.list())
        await driver.terminate(instance.instanceId, { graceSeconds: 0 });
      await driver.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await privateRedis?.stop();
  }
}

await main();
