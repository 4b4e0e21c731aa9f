// bench/autoscaling: how fast the auto scaling loop reacts to load, and how throughput grows with
// instances. The real api, worker and proxy run as child processes in fast mode (1 s alarm periods, 2 of
// 2 datapoints to scale out, 1 s health checks), configured through the REST api; instances come from the
// process driver, and from the docker driver when an engine answers. Traffic goes to 127.0.0.1 only and
// every load stops by itself.
//
//   npx tsx bench/autoscaling/run.ts [--rounds 3] [--drivers process,docker] [--seconds 5]
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
import { createTraffic, driveLoad } from "../../tests/e2e/load.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "../../tests/e2e/system.ts";
import { hasCommand, median, wrk } from "../lib/measure.ts";

type Kind = "process" | "docker";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const rounds = Number(flag("rounds", "3"));
const wanted = flag("drivers", "process,docker").split(",");
const seconds = Number(flag("seconds", "5"));

/** Fast mode's target tracking high alarm: 1 s periods, 2 of 2 datapoints (targetTrackingAlarmShape). */
const period = 1;
const datapoints = 2;
/** The target: the new instance serves within period × datapoints + 3 s of the load starting. */
const servingTargetS = period * datapoints + 3;
const throughputTarget = 0.9;
const counts = [1, 2, 4];
/** /work's shape: each instance serves `slots` requests at a time, each taking `workMs`. */
const slots = 4;
const workMs = 20;
const connections = 64;

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

interface Instance {
  instanceId: string;
  lifecycleState: string;
}
interface TargetHealth {
  target: { id: string; port: number };
  targetHealth: { state: string };
}

/** A load balancer, listener, ip target group (1 s health checks), launch template and group. */
async function setUpGroup(
  sys: RunningSystem,
  name: string,
  kind: Kind,
  group: { min: number; max: number; desired: number; environment?: Record<string, string> },
): Promise<{ port: number; targetGroup: string }> {
  const { targetGroupArn, targetGroup, port } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 1,
  });
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    ...(kind === "docker"
      ? { image: await ensureExampleImage(), networkMode: "host" }
      : { command: [process.execPath, exampleApp] }),
    environment: group.environment ?? {},
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: group.min,
    maxSize: group.max,
    desiredCapacity: group.desired,
    targetGroupARNs: [targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 10,
  });
  return { port, targetGroup };
}

const healthyTargets = async (sys: RunningSystem, targetGroup: string) =>
  (
    await sys.ok<{ targetHealthDescriptions: TargetHealth[] }>(
      "GET",
      `/v1/target-groups/${targetGroup}/health`,
    )
  ).targetHealthDescriptions
    .filter((t) => t.targetHealth.state === "healthy")
    .map((t) => `${t.target.id}:${t.target.port}`);

const instancesOf = async (sys: RunningSystem, name: string) =>
  (await sys.ok<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`)).instances;

async function deleteGroup(sys: RunningSystem, name: string): Promise<void> {
  await sys.call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`);
  await until(
    async () =>
      (await sys.call("GET", `/v1/auto-scaling-groups/${name}`)).status === 404 ? true : undefined,
    `group ${name} to be deleted`,
  );
}

interface Reaction {
  /** Load start → the high alarm's transition to ALARM (its StateTransitionedTimestamp). */
  alarmS: number;
  /** → the group's desired capacity is 2 (as polled). */
  desiredS: number;
  /** → the new instance is InService (launched and registered; as polled). */
  inServiceS: number;
  /** → its target is healthy (as polled). */
  healthyS: number;
  /** → it answered its first request through the listener (exact). */
  servingS: number;
}

/** Rounds of: one idle instance, CPU load on, until a second instance serves; load off; back to one. */
async function measureReaction(sys: RunningSystem, kind: Kind): Promise<Reaction[]> {
  const name = `lat-${kind}`;
  const { port, targetGroup } = await setUpGroup(sys, name, kind, { min: 1, max: 2, desired: 1 });
  await sys.ok("POST", `/v1/auto-scaling-groups/${name}/policies`, {
    policyName: "cpu45",
    policyType: "TargetTrackingScaling",
    estimatedInstanceWarmup: 2,
    targetTrackingConfiguration: {
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: 45,
    },
  });
  const { alarms } = await sys.ok<{ alarms: Array<{ alarmName: string }> }>(
    "GET",
    `/v1/auto-scaling-groups/${name}/policies/cpu45`,
  );
  const high = alarms.find((a) => a.alarmName.includes("-AlarmHigh-"))?.alarmName ?? "";

  const results: Reaction[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Start from one idle instance, its high alarm OK, and a few idle seconds of CPU behind it.
    const [original] = await until(async () => {
      const [list, group, alarm, healthy] = await Promise.all([
        instancesOf(sys, name),
        sys.ok<{ desiredCapacity: number }>("GET", `/v1/auto-scaling-groups/${name}`),
        sys.ok<{ stateValue: string }>("GET", `/v1/alarms/${high}`),
        healthyTargets(sys, targetGroup),
      ]);
      return list.length === 1 &&
        list[0]?.lifecycleState === "InService" &&
        group.desiredCapacity === 1 &&
        healthy.length === 1 &&
        alarm.stateValue === "OK"
        ? list
        : undefined;
    }, "one idle instance and the high alarm OK");
    await sleep(3_000);
    const before = new Set(await healthyTargets(sys, targetGroup));

    const traffic = createTraffic();
    let servingAt = 0;
    const t0 = Date.now();
    const load = driveLoad(traffic, {
      url: `http://127.0.0.1:${port}/burn?ms=40`,
      concurrency: 3,
      maxMs: 60_000,
      onServed: (id, at) => {
        if (id !== original?.instanceId && servingAt === 0) servingAt = at;
      },
    });
    let alarmAt = 0;
    let desiredAt = 0;
    let inServiceAt = 0;
    let healthyAt = 0;
    try {
      await until(
        async () => {
          const now = Date.now();
          const [alarm, group, list, healthy] = await Promise.all([
            alarmAt
              ? undefined
              : sys.ok<{ stateValue: string; stateTransitionedTimestamp: string }>(
                  "GET",
                  `/v1/alarms/${high}`,
                ),
            desiredAt
              ? undefined
              : sys.ok<{ desiredCapacity: number }>("GET", `/v1/auto-scaling-groups/${name}`),
            inServiceAt ? undefined : instancesOf(sys, name),
            healthyAt ? undefined : healthyTargets(sys, targetGroup),
          ]);
          if (alarm?.stateValue === "ALARM") alarmAt = Date.parse(alarm.stateTransitionedTimestamp);
          if (group && group.desiredCapacity >= 2) desiredAt = now;
          if (list?.some((i) => i.instanceId !== original?.instanceId && i.lifecycleState === "InService"))
            inServiceAt = now;
          if (healthy?.some((t) => !before.has(t))) healthyAt = now;
          return alarmAt && desiredAt && inServiceAt && healthyAt && servingAt ? true : undefined;
        },
        "the new instance to serve",
        45_000,
      );
    } catch (error) {
      const failures = traffic.failures.slice(0, 5).map((f) => f.reason);
      throw new Error(
        `${error instanceof Error ? error.message : String(error)} (round ${round}: ALARM ${alarmAt > 0}, desired ${desiredAt > 0}, InService ${inServiceAt > 0}, healthy ${healthyAt > 0}; ${traffic.ok} answers, ${traffic.failures.length} failures ${JSON.stringify(failures)}, served by ${JSON.stringify([...traffic.served])})`,
      );
    } finally {
      await load.stop();
    }
    const s = (at: number) => (at - t0) / 1000;
    const result = {
      alarmS: s(alarmAt),
      desiredS: s(desiredAt),
      inServiceS: s(inServiceAt),
      healthyS: s(healthyAt),
      servingS: s(servingAt),
    };
    results.push(result);
    console.log(
      `  ${kind} round ${round}: ALARM ${result.alarmS.toFixed(1)} s, desired 2 ${result.desiredS.toFixed(1)} s, InService ${result.inServiceS.toFixed(1)} s, healthy ${result.healthyS.toFixed(1)} s, serving ${result.servingS.toFixed(1)} s (${traffic.failures.length} failed of ${traffic.ok + traffic.failures.length})`,
    );
  }
  await deleteGroup(sys, name);
  return results;
}

interface Throughput {
  instances: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

/** wrk through the listener at /work with 1, 2 and 4 instances of a capacity-bound app. */
async function measureThroughput(sys: RunningSystem, kind: Kind): Promise<Throughput[]> {
  const name = `tput-${kind}`;
  const { port, targetGroup } = await setUpGroup(sys, name, kind, {
    min: 0,
    max: Math.max(...counts),
    desired: 0,
    environment: { APP_CONCURRENCY: String(slots) },
  });
  const url = `http://127.0.0.1:${port}/work?ms=${workMs}`;
  const results: Throughput[] = [];
  for (const n of counts) {
    await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: n });
    await until(async () => {
      const [list, healthy] = await Promise.all([instancesOf(sys, name), healthyTargets(sys, targetGroup)]);
      return list.length === n && list.every((i) => i.lifecycleState === "InService") && healthy.length === n
        ? true
        : undefined;
    }, `${n} healthy instances`);
    wrk(url, connections, 1); // warm-up: connections, JIT
    const run = wrk(url, connections, seconds);
    results.push({
      instances: n,
      requestsPerSecond: run.requestsPerSecond,
      p99Ms: run.p99Ms,
      errors: run.errors,
    });
    console.log(
      `  ${kind} ${n} instance(s): ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms.toFixed(1)} ms, ${run.errors} errors`,
    );
  }
  await deleteGroup(sys, name);
  return results;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  if (!hasCommand("wrk")) throw new Error("wrk is not on PATH");
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

  const reactionRows: string[][] = [];
  const throughputRows: string[][] = [];
  let running: RunningSystem | undefined;
  process.on("exit", () => running?.kill());
  try {
    for (const kind of kinds) {
      const dataDir = mkdtempSync(join(tmpdir(), `scaleout-bench-autoscaling-${kind}-`));
      try {
        const sys = await startSystem({
          redisUrl,
          prefix: `bench${randomBytes(4).toString("hex")}`,
          dataDir,
          compute: kind,
        });
        running = sys;
        try {
          console.log(`${kind}: reaction to load, ${rounds} rounds`);
          const reactions = await measureReaction(sys, kind);
          const m = (key: keyof Reaction) => median(reactions.map((r) => r[key]));
          reactionRows.push([
            kind,
            m("alarmS").toFixed(1),
            m("desiredS").toFixed(1),
            m("inServiceS").toFixed(1),
            m("healthyS").toFixed(1),
            m("servingS").toFixed(1),
            `<= ${servingTargetS}`,
            m("servingS") <= servingTargetS ? "PASS" : "MISS",
          ]);
          console.log(
            `${kind}: throughput of /work?ms=${workMs} with APP_CONCURRENCY=${slots}, wrk -c${connections}`,
          );
          const throughput = await measureThroughput(sys, kind);
          const one = throughput[0]?.requestsPerSecond ?? Number.NaN;
          for (const t of throughput) {
            const ratio = t.requestsPerSecond / one;
            throughputRows.push([
              kind,
              String(t.instances),
              t.requestsPerSecond.toFixed(0),
              `${ratio.toFixed(2)}x`,
              `>= ${(throughputTarget * t.instances).toFixed(1)}x`,
              ratio >= throughputTarget * t.instances ? "PASS" : "MISS",
              t.p99Ms.toFixed(1),
              String(t.errors),
            ]);
          }
        } catch (error) {
          console.error(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
          console.error(
            sys
              .output()
              .split("\n")
              .filter((line) => !line.includes('"process":"worker"') || !line.includes('"level":"info"'))
              .slice(-40)
              .join("\n"),
          );
        } finally {
          // Instances outlive the worker by design: a run cut short deletes its groups first, and whatever
          // is still running under their names is stopped through a driver of its own.
          for (const name of [`lat-${kind}`, `tput-${kind}`])
            await deleteGroup(sys, name).catch(() => undefined);
          await sys.stop();
          running = undefined;
          const driver =
            kind === "docker"
              ? createDockerDriver()
              : createProcessDriver({ stateDir: join(dataDir, "instances") });
          for (const name of [`lat-${kind}`, `tput-${kind}`])
            for (const instance of await driver.list(name))
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
    `\nreaction, seconds from load start (medians of ${rounds} rounds; fast mode, ${period} s periods, ${datapoints} of ${datapoints}):`,
  );
  console.log(
    table(["driver", "ALARM", "desired 2", "InService", "healthy", "serving", "target", ""], reactionRows),
  );
  console.log(
    `\nthroughput, /work?ms=${workMs}, ${slots} slots per instance (${(slots * 1000) / workMs} req/s each at best), wrk -t1 -c${connections} -d${seconds}s:`,
  );
  console.log(
    table(["driver", "instances", "req/s", "vs 1", "target", "", "p99 ms", "errors"], throughputRows),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
