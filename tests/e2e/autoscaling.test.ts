// The auto scaling loop end to end (issue 5): the real api, worker and proxy as child processes on a real
// Redis, instances from the process driver (and the docker driver where an engine answers), configured
// through the REST api only, under bounded loopback load. The group scales out, the new instance takes
// traffic, the load stops, the group scales back in, and not one request fails meanwhile: a light stream
// of requests runs from the first healthy instance to the end, so both the launch (health checks gate
// the new target) and the scale-in (deregister, drain, then terminate) happen under traffic.

import { join } from "node:path";
import {
  type ComputeDriver,
  createDockerDriver,
  createProcessDriver,
  detectDocker,
  ensureExampleImage,
} from "@scaleout/compute";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { createTraffic, driveLoad, type Load, type Traffic } from "./load.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

interface Instance {
  instanceId: string;
  lifecycleState: string;
  healthStatus: string;
}
interface Activity {
  description: string;
  cause: string;
  statusCode: string;
}
interface Group {
  desiredCapacity: number;
}

const caseTimeoutMs = 180_000;

let system: RunningSystem | undefined;
let loads: Load[] = [];
let cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Loads stop by themselves at their deadline; a failed test stops them now.
  await Promise.all(loads.map((load) => load.stop()));
  loads = [];
  // The worker and the proxy stop first: nothing may launch or re-register while leftovers go.
  system?.kill();
  system = undefined;
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

function report(traffic: Traffic): string {
  const served = [...traffic.served.entries()].map(([id, n]) => `${id}: ${n}`).join(", ");
  const failures = traffic.failures
    .slice(0, 20)
    .map((f) => `  ${new Date(f.at).toISOString()} ${f.url} ${f.reason}`)
    .join("\n");
  return `${traffic.ok} ok, ${traffic.failures.length} failed; served by ${served}${failures ? `\n${failures}` : ""}`;
}

async function scaleOutAndIn(options: {
  kind: "process" | "docker";
  redisUrl: string;
  prefix: string;
  dataDir: string;
  launchTemplate: Record<string, unknown>;
  driver: ComputeDriver;
}): Promise<void> {
  const { kind, driver } = options;
  const name = `e2e-${options.prefix}`;
  const started = Date.now();
  const log = (message: string) =>
    process.stdout.write(`[e2e ${kind} +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

  const sys = await startSystem({
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    dataDir: options.dataDir,
    compute: kind,
  });
  system = sys;
  // Whatever the test leaves behind is stopped by the instance ids the driver knows for this group.
  cleanup.push(async () => {
    for (const instance of await driver.list(name))
      await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  });
  const fail = (message: string) => (error: unknown) => {
    throw new Error(`${message}: ${error instanceof Error ? error.message : String(error)}\n${sys.output()}`);
  };

  // ---- Configuration, through the REST api only --------------------------------------------------
  const {
    targetGroupArn,
    targetGroup: tgName,
    port: listenerPort,
  } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 2,
  });
  await sys.ok("POST", "/v1/launch-templates", { launchTemplateName: name, ...options.launchTemplate });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 1,
    maxSize: 3,
    desiredCapacity: 1,
    targetGroupARNs: [targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 10,
  });
  const policyName = "cpu45";
  await sys.ok("POST", `/v1/auto-scaling-groups/${name}/policies`, {
    policyName,
    policyType: "TargetTrackingScaling",
    estimatedInstanceWarmup: 2,
    targetTrackingConfiguration: {
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: 45,
    },
  });

  const instances = async () =>
    (await sys.ok<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`)).instances;
  const healthyTargets = async () =>
    (
      await sys.ok<{ targetHealthDescriptions: Array<{ targetHealth: { state: string } }> }>(
        "GET",
        `/v1/target-groups/${tgName}/health`,
      )
    ).targetHealthDescriptions.filter((t) => t.targetHealth.state === "healthy").length;

  await eventually(async () => ((await healthyTargets()) >= 1 ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    message: "the first instance to be healthy behind the listener",
  }).catch(fail("start"));
  const [first] = await instances();
  expect(first?.lifecycleState).toBe("InService");
  log(`first instance ${first?.instanceId} healthy`);

  // ---- Load --------------------------------------------------------------------------------------
  const traffic = createTraffic();
  const base = `http://127.0.0.1:${listenerPort}`;
  // The light stream: from now to the end of the scale-in, a few dozen requests a second of negligible CPU.
  const light = driveLoad(traffic, {
    url: `${base}/sleep?ms=20`,
    concurrency: 2,
    pauseMs: 20,
    maxMs: 150_000,
  });
  loads.push(light);
  // The heavy load: CPU-bound requests, a few at a time, enough to keep one instance's CPU pegged.
  const heavy = driveLoad(traffic, { url: `${base}/burn?ms=40`, concurrency: 3, maxMs: 90_000 });
  loads.push(heavy);
  log("load on");

  const scaledOut = await eventually(
    async () => {
      const list = await instances();
      return list.filter((i) => i.lifecycleState === "InService").length >= 2 ? list : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, message: "the group to scale out to at least 2 InService" },
  ).catch(fail("scale-out"));
  log(`scaled out: ${scaledOut.map((i) => `${i.instanceId} ${i.lifecycleState}`).join(", ")}`);

  // The new instance takes traffic: answers come from an instance other than the first.
  const newcomer = await eventually(() => [...traffic.served.keys()].find((id) => id !== first?.instanceId), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: "an answer from a new instance",
  }).catch(fail(`new instance serving (${report(traffic)})`));
  log(`new instance ${newcomer} served its first request`);
  // A little more load, so the newcomer serves a fair share and not one lucky request.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await heavy.stop();
  log(`heavy load off: ${report(traffic)}`);
  expect(traffic.served.get(newcomer) ?? 0).toBeGreaterThan(1);

  // ---- Scale-in, under the light stream ------------------------------------------------------------
  const scaledIn = await eventually(
    async () => {
      const [group, list] = await Promise.all([
        sys.ok<Group>("GET", `/v1/auto-scaling-groups/${name}`),
        instances(),
      ]);
      return group.desiredCapacity === 1 && list.length === 1 && list[0]?.lifecycleState === "InService"
        ? list
        : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, message: "the group to scale back in to 1" },
  ).catch(fail(`scale-in (${report(traffic)})`));
  log(`scaled in: ${scaledIn[0]?.instanceId} remains`);
  // The survivor keeps serving after the others have gone.
  const servedBefore = traffic.ok;
  await eventually(() => (traffic.ok >= servedBefore + 20 ? true : undefined), {
    timeoutMs: 20_000,
    message: "the light stream to go on after the scale-in",
  });
  await light.stop();
  log(`load off: ${report(traffic)}`);

  // ---- What happened -------------------------------------------------------------------------------
  expect(traffic.failures, report(traffic)).toEqual([]);
  expect(traffic.ok).toBeGreaterThan(100);
  expect(traffic.served.size).toBeGreaterThanOrEqual(2);

  const { activities } = await sys.ok<{ activities: Activity[] }>(
    "GET",
    `/v1/auto-scaling-groups/${name}/activities`,
  );
  const causes = activities.map((a) => a.cause);
  const high = new RegExp(
    `a monitor alarm TargetTracking-${name}-AlarmHigh-[\\w-]+ in state ALARM triggered policy ${policyName} changing the desired capacity from 1 to [23]\\.`,
  );
  const low = new RegExp(
    `a monitor alarm TargetTracking-${name}-AlarmLow-[\\w-]+ in state ALARM triggered policy ${policyName} changing the desired capacity from [23] to [12]\\.`,
  );
  expect(
    activities.some((a) => a.description.startsWith("Launching") && high.test(a.cause)),
    causes.join("\n"),
  ).toBe(true);
  expect(
    activities.some((a) => a.description.startsWith("Terminating") && low.test(a.cause)),
    causes.join("\n"),
  ).toBe(true);
  expect(
    activities.every((a) => a.statusCode === "Successful"),
    JSON.stringify(activities, null, 1),
  ).toBe(true);

  // ---- Clean up: the group and every instance go, then the processes --------------------------------
  expect((await sys.call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`)).status).toBe(204);
  await eventually(
    async () =>
      (await sys.call("GET", `/v1/auto-scaling-groups/${name}`)).status === 404 ? true : undefined,
    { timeoutMs: 30_000, intervalMs: 200, message: "the group to be deleted" },
  ).catch(fail("delete"));
  expect(await driver.list(name)).toEqual([]);
  await sys.stop();
  log("stopped");
}

test(
  "a CPU target tracking policy scales a process-driver group out and in without failing a request",
  async ({ redisUrl, prefix, dataDir }) => {
    const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
    cleanup.push(() => driver.close());
    await scaleOutAndIn({
      kind: "process",
      redisUrl,
      prefix,
      dataDir,
      driver,
      launchTemplate: { command: [process.execPath, exampleApp] },
    });
  },
  caseTimeoutMs,
);

test(
  "the same with the docker driver",
  async ({ redisUrl, prefix, dataDir, skip }) => {
    // A busy engine on a loaded machine can take a while to answer its ping: wait longer than the default.
    if (!(await detectDocker({ timeoutMs: 10_000 }))) {
      if (process.env.CI === "true") throw new Error("CI=true but no Docker engine answers on DOCKER_HOST");
      skip("no Docker engine answers on DOCKER_HOST or /var/run/docker.sock");
    }
    const image = await ensureExampleImage();
    const driver = createDockerDriver();
    cleanup.push(() => driver.close());
    await scaleOutAndIn({
      kind: "docker",
      redisUrl,
      prefix,
      dataDir,
      driver,
      launchTemplate: { image, networkMode: "host" },
    });
  },
  caseTimeoutMs,
);
