// bench/deploy/warm-pool.ts: scale-out time from a warm pool against a cold launch. The real api, worker and
// proxy run as child processes in fast mode (1 s health checks, healthy after 2), configured through the
// REST api. Per driver (process; docker when an engine answers), per starting size (`--from`) and per app boot time (`--boot-ms`: the
// example app started that many milliseconds late, as an app with a long initialisation would be), two
// groups behind listeners: one with a warm pool (MinSize 2, MaxGroupPreparedCapacity 2, Stopped), one
// without. Each round sets desired capacity +2 and times until both new instances are InService and have
// answered through the listener; then back for the next round. Medians, and their ratio.
// Traffic goes to 127.0.0.1 only; every wait is bounded.
//
//   npx tsx bench/deploy/warm-pool.ts [--rounds 3] [--drivers process,docker] [--from 0,1] [--boot-ms 0,2000]
//                                     [--pool-state Stopped|Hibernated|Running]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PrivateRedis, startPrivateRedis } from "@scaleout/queue";
import {
  createDockerDriver,
  createProcessDriver,
  detectDocker,
  ensureExampleImage,
} from "../../packages/compute/src/index.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "../../tests/e2e/system.ts";
import { median } from "../lib/measure.ts";

type Kind = "process" | "docker";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const rounds = Number(flag("rounds", "3"));
const wanted = flag("drivers", "process,docker").split(",");
const boots = flag("boot-ms", "0,2000").split(",").map(Number);
/** Instances in service before the scale-out: 0 (the listener fails open to the new, unchecked targets) or more. */
const bases = flag("from", "0,1").split(",").map(Number);
/** Stopped (docker: a stopped container, the app starts afresh), Hibernated (docker: paused), Running. */
const poolState = flag("pool-state", "Stopped");
const step = 2;

interface Instance {
  instanceId: string;
  lifecycleState: string;
}
interface WarmPoolView {
  warmPoolConfiguration?: { status?: string };
  instances: Instance[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The launch template's command: the example app, `bootMs` late (an app that takes that long to start). */
function appCommand(kind: Kind, bootMs: number): string[] | undefined {
  const entry = kind === "docker" ? "/app/server.js" : exampleApp;
  const node = kind === "docker" ? "/usr/bin/node" : process.execPath;
  if (bootMs === 0) return kind === "docker" ? undefined : [node, entry];
  return [node, "-e", `setTimeout(() => import(${JSON.stringify(entry)}), ${bootMs})`];
}

async function setUpGroup(sys: RunningSystem, name: string, kind: Kind, bootMs: number): Promise<number> {
  const { targetGroupArn, port } = await addLoadBalancedGroup(sys, name, { deregistrationDelaySeconds: 1 });
  const command = appCommand(kind, bootMs);
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    ...(kind === "docker" ? { image: await ensureExampleImage(), networkMode: "host" } : {}),
    ...(command && { command }),
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 0,
    maxSize: 4,
    desiredCapacity: 0,
    targetGroupARNs: [targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 30,
  });
  return port;
}

const instancesOf = async (sys: RunningSystem, name: string) =>
  (await sys.ok<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`)).instances;

const poolOf = (sys: RunningSystem, name: string) =>
  sys.ok<WarmPoolView>("GET", `/v1/auto-scaling-groups/${name}/warm-pool`);

async function answeredBy(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { instanceId?: string };
    return res.ok ? body.instanceId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * desired `base` → `base` + 2, timed until both new instances are InService and have answered through the
 * listener. From 0 the listener routes to them before their health checks pass (no target is healthy, so
 * it fails open, as an ALB does); from 1 they answer only once healthy (1 s checks, healthy after 2).
 */
async function scaleOutSeconds(
  sys: RunningSystem,
  name: string,
  port: number,
  base: number,
): Promise<number> {
  const before = new Set((await instancesOf(sys, name)).map((i) => i.instanceId));
  const t0 = Date.now();
  await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: base + step });
  const served = new Set<string>();
  await until(async () => {
    const id = await answeredBy(port);
    if (id) served.add(id);
    const list = await instancesOf(sys, name);
    const fresh = list.filter((i) => i.lifecycleState === "InService" && !before.has(i.instanceId));
    return fresh.length === step && fresh.every((i) => served.has(i.instanceId)) ? true : undefined;
  }, `${step} new instances of ${name} serving through the listener`);
  return (Date.now() - t0) / 1000;
}

/** Back to `base` instances in service (each answering through the listener), and the pool ready. */
async function scaleBackIn(sys: RunningSystem, name: string, port: number, base: number, pool: boolean) {
  await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: base });
  const served = new Set<string>();
  await until(async () => {
    const id = await answeredBy(port);
    if (id) served.add(id);
    const list = await instancesOf(sys, name);
    return list.length === base &&
      list.every((i) => i.lifecycleState === "InService" && (base === 0 || served.has(i.instanceId)))
      ? true
      : undefined;
  }, `${name} at ${base} instance(s), serving`);
  if (pool) await poolReady(sys, name);
}

async function poolReady(sys: RunningSystem, name: string): Promise<void> {
  await until(async () => {
    const view = await poolOf(sys, name);
    return view.instances.length === step &&
      view.instances.every((i) => i.lifecycleState === `Warmed:${poolState}`)
      ? true
      : undefined;
  }, `${name}'s warm pool to hold ${step} Warmed:${poolState} instances`);
}

async function deleteGroup(sys: RunningSystem, name: string): Promise<void> {
  await sys.call("DELETE", `/v1/auto-scaling-groups/${name}/warm-pool?forceDelete=true`);
  await sys.call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`);
  await until(
    async () =>
      (await sys.call("GET", `/v1/auto-scaling-groups/${name}`)).status === 404 ? true : undefined,
    `group ${name} to be deleted`,
  );
}

interface Row {
  kind: Kind;
  bootMs: number;
  base: number;
  warm: number[];
  cold: number[];
}

async function measure(sys: RunningSystem, kind: Kind, bootMs: number, base: number): Promise<Row> {
  const warmName = `wp-warm-${kind}-${bootMs}-${base}`;
  const coldName = `wp-cold-${kind}-${bootMs}-${base}`;
  const warmPort = await setUpGroup(sys, warmName, kind, bootMs);
  const coldPort = await setUpGroup(sys, coldName, kind, bootMs);
  await sys.ok("PUT", `/v1/auto-scaling-groups/${warmName}/warm-pool`, {
    minSize: step,
    maxGroupPreparedCapacity: step,
    poolState,
  });
  const row: Row = { kind, bootMs, base, warm: [], cold: [] };
  try {
    await scaleBackIn(sys, warmName, warmPort, base, true);
    await scaleBackIn(sys, coldName, coldPort, base, false);
    for (let round = 1; round <= rounds; round++) {
      // Warm and cold alternate, so load from the rest of the machine falls on both alike.
      const warm = await scaleOutSeconds(sys, warmName, warmPort, base);
      await scaleBackIn(sys, warmName, warmPort, base, true);
      const cold = await scaleOutSeconds(sys, coldName, coldPort, base);
      await scaleBackIn(sys, coldName, coldPort, base, false);
      row.warm.push(warm);
      row.cold.push(cold);
      console.log(
        `${kind} boot ${bootMs} ms, ${base} → ${base + step}, round ${round}: warm pool ${warm.toFixed(2)} s, cold ${cold.toFixed(2)} s`,
      );
    }
  } finally {
    for (const name of [warmName, coldName]) await deleteGroup(sys, name).catch(() => undefined);
  }
  return row;
}

async function main(): Promise<void> {
  let privateRedis: PrivateRedis | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    privateRedis = await startPrivateRedis();
    redisUrl = privateRedis.url;
  }
  const kinds: Kind[] = [];
  if (wanted.includes("process")) kinds.push("process");
  if (wanted.includes("docker")) {
    if (await detectDocker({ timeoutMs: 10_000 })) kinds.push("docker");
    else console.log("docker: no engine answers on DOCKER_HOST or /var/run/docker.sock; skipped");
  }
  const rows: Row[] = [];
  let running: RunningSystem | undefined;
  process.on("exit", () => running?.kill());
  try {
    for (const kind of kinds) {
      const dataDir = mkdtempSync(join(tmpdir(), `scaleout-bench-warm-pool-${kind}-`));
      const prefix = `bench${randomBytes(4).toString("hex")}`;
      try {
        const sys = await startSystem({ redisUrl, prefix, dataDir, compute: kind });
        running = sys;
        try {
          for (const base of bases)
            for (const bootMs of boots) rows.push(await measure(sys, kind, bootMs, base));
        } catch (error) {
          console.error(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
          console.error(sys.output().split("\n").slice(-30).join("\n"));
        } finally {
          await sys.stop();
          running = undefined;
          // Instances outlive the worker by design: whatever a run cut short left under its groups' names goes.
          const driver =
            kind === "docker"
              ? createDockerDriver()
              : createProcessDriver({ stateDir: join(dataDir, "instances") });
          for (const instance of await driver.list())
            if (instance.groupName.startsWith("wp-"))
              await driver.terminate(instance.instanceId, { graceSeconds: 0 });
          await driver.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await privateRedis?.stop();
  }

  console.log(
    `\nscale-out by +${step} until both new instances are InService and answer through the listener, seconds, medians of ${rounds} rounds (pool state ${poolState}):`,
  );
  console.log("driver   from → to  boot ms  warm pool  cold launch  cold / warm");
  for (const row of rows) {
    const warm = median(row.warm);
    const cold = median(row.cold);
    console.log(
      `${row.kind.padEnd(8)} ${`${row.base} → ${row.base + step}`.padStart(9)}  ${String(row.bootMs).padStart(7)}  ${warm.toFixed(2).padStart(9)}  ${cold.toFixed(2).padStart(11)}  ${`${(cold / warm).toFixed(2)}x`.padStart(11)}`,
    );
  }
}

await main();
