// examples/cpu-autoscaling: run it after `npm start` (fast mode makes it a matter of seconds:
// `SCALEOUT_FAST=1 npm start`). It builds a load balancer in front of an auto scaling group of the example
// app with a target tracking policy (CPU 50 %), drives CPU-heavy load through the listener, and prints,
// second by second, the group's instances, their CPU, the alarm states and the requests each instance
// served, until the group has scaled out and, after the load stops, back in.
//
//   npx tsx examples/cpu-autoscaling/run.ts [--api http://127.0.0.1:7700] [--port 8090] [--image scaleout/example:latest] [--nlb] [--keep]
//
// --nlb puts a Network Load Balancer in front instead: a TCP listener, a TCP target group with TCP health
// checks, and load on a new connection per request (an NLB pins a connection to one target).
//
// It deletes what it created when it ends (or on Ctrl-C) unless --keep is given.
import { request } from "node:http";
import { join } from "node:path";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
};
const api = flag("api", process.env.SCALEOUT_API ?? "http://127.0.0.1:7700");
// Not the README tour's 8080: the two run one after the other on the same scaleout.
const listenerPort = Number(flag("port", "8090"));
const image = flag("image", "");
const keep = args.includes("--keep");
const nlb = args.includes("--nlb");
const token = process.env.SCALEOUT_API_TOKEN;
const name = "cpu-demo";
const appPath = join(import.meta.dirname, "..", "app", "server.js");

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { "content-type": "application/json" }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const data = text
    ? (JSON.parse(text) as T & { code?: string; message?: string })
    : ({} as T & { code?: string; message?: string });
  if (!res.ok && res.status !== 404)
    throw new Error(`${method} ${path}: ${res.status} ${data.code}: ${data.message}`);
  return data;
}

/** Ctrl-C was pressed: the clean-up under way decides how the process ends. */
let interrupted = false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deletes what this example creates (a 404 for what is not there is fine): the group first, then the rest. */
async function cleanUp(): Promise<void> {
  await call("DELETE", `/v1/auto-scaling-groups/${name}?forceDelete=true`);
  // The group's row goes once its last instance has terminated; its target group is in use until then.
  for (let i = 0; i < 120; i++) {
    const group = await call<{ code?: string }>("GET", `/v1/auto-scaling-groups/${name}`);
    if (group.code) break;
    await sleep(500);
  }
  await call("DELETE", `/v1/load-balancers/${name}`);
  await call("DELETE", `/v1/target-groups/${name}-tg`);
  await call("DELETE", `/v1/launch-templates/${name}`);
}

async function setUp(): Promise<void> {
  // Start from a clean slate: a previous run's group and resources (say, one run with --keep) go first.
  await cleanUp();

  await call("POST", "/v1/load-balancers", { name, ...(nlb && { type: "network" }) });
  const tg = await call<{ targetGroupArn: string }>(
    "POST",
    "/v1/target-groups",
    nlb
      ? {
          // A TCP service as NLB sees it: a connect within the timeout is a pass.
          name: `${name}-tg`,
          protocol: "TCP",
          port: 80,
          targetType: "ip",
          healthCheckProtocol: "TCP",
          healthCheckIntervalSeconds: 5,
          healthCheckTimeoutSeconds: 2,
          healthyThresholdCount: 2,
        }
      : {
          name: `${name}-tg`,
          protocol: "HTTP",
          port: 80,
          targetType: "ip",
          healthCheckPath: "/health",
          healthCheckIntervalSeconds: 5,
          healthCheckTimeoutSeconds: 2,
          healthyThresholdCount: 2,
        },
  );
  await call("PATCH", `/v1/target-groups/${name}-tg/attributes`, {
    attributes: [
      { key: "deregistration_delay.timeout_seconds", value: "2" },
      // NLB balances by flow hash: it has no algorithm attribute.
      ...(nlb ? [] : [{ key: "load_balancing.algorithm.type", value: "least_outstanding_requests" }]),
    ],
  });
  await call("POST", `/v1/load-balancers/${name}/listeners`, {
    protocol: nlb ? "TCP" : "HTTP",
    port: listenerPort,
    defaultActions: [{ type: "forward", targetGroupArn: tg.targetGroupArn }],
  });
  await call("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    ...(image ? { image, networkMode: "host" } : { command: [process.execPath, appPath] }),
    environment: { MODE: "demo" },
  });
  await call("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 1,
    maxSize: 4,
    desiredCapacity: 1,
    targetGroupARNs: [tg.targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 5,
    defaultInstanceWarmup: 5,
  });
  await call("POST", `/v1/auto-scaling-groups/${name}/policies`, {
    policyName: "cpu50",
    policyType: "TargetTrackingScaling",
    estimatedInstanceWarmup: 5,
    targetTrackingConfiguration: {
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: 50,
    },
  });
}

/**
 * One GET on a connection of its own (closed after it): through an NLB each connection is a flow pinned
 * to one target, so only new connections reach instances added since.
 */
function getOnce(url: string): Promise<{ ok: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ ok: (res.statusCode ?? 0) < 400, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Keeps `concurrency` requests to /burn in flight through the listener, counting answers per instance. */
function driveLoad(
  concurrency: number,
  served: Map<string, number>,
): { stop(): Promise<void>; failures(): number } {
  let running = true;
  let failed = 0;
  const loop = async () => {
    while (running) {
      try {
        const url = `http://127.0.0.1:${listenerPort}/burn?ms=40`;
        const res = nlb
          ? await getOnce(url)
          : await fetch(url).then(async (r) => ({ ok: r.ok, body: await r.text() }));
        const body = JSON.parse(res.body) as { instanceId?: string };
        if (!res.ok) failed++;
        const id = body.instanceId ?? "?";
        served.set(id, (served.get(id) ?? 0) + 1);
      } catch {
        failed++;
        await sleep(50);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
    failures: () => failed,
  };
}

interface Instance {
  instanceId: string;
  lifecycleState: string;
  healthStatus: string;
}

async function report(started: number, served: Map<string, number>): Promise<number> {
  const [{ instances }, alarms, cpu] = await Promise.all([
    call<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`),
    call<{ metricAlarms: Array<{ alarmName: string; stateValue: string }> }>(
      "GET",
      `/v1/alarms?alarmNamePrefix=TargetTracking-${name}`,
    ),
    call<{ datapoints: Array<{ average?: number }> }>(
      "GET",
      `/v1/metrics/statistics?namespace=AWS/EC2&metricName=CPUUtilization&dimension=AutoScalingGroupName=${name}&statistics=Average&period=5&startTime=${new Date(Date.now() - 10_000).toISOString()}&endTime=${new Date().toISOString()}`,
    ).catch(() => ({ datapoints: [] })),
  ]);
  const latest = cpu.datapoints[cpu.datapoints.length - 1]?.average;
  const alarmText = alarms.metricAlarms
    .map((a) => `${a.alarmName.includes("High") ? "high" : "low"}=${a.stateValue}`)
    .join(" ");
  const servedText = [...served.entries()].map(([id, n]) => `${id}:${n}`).join(" ");
  const inService = instances.filter((i) => i.lifecycleState === "InService").length;
  const time = `${Math.round((Date.now() - started) / 1000)}s`.padStart(5);
  const count = `${inService}/${instances.length}`.padStart(9);
  const cpuText = (latest === undefined ? "-" : `${latest.toFixed(0)}%`).padStart(4);
  console.log(`${time}  ${count}  ${cpuText}  ${alarmText.padEnd(42)}  ${servedText}`);
  return inService;
}

async function main(): Promise<void> {
  console.log(
    `scaleout at ${api}; setting up '${name}' (${nlb ? "network load balancer, TCP listener" : "listener"} :${listenerPort}, ${image ? `image ${image}` : "process driver command"})`,
  );
  await setUp();
  // Ctrl-C still cleans up (unless --keep); a second Ctrl-C leaves at once.
  process.once("SIGINT", () => {
    interrupted = true;
    console.log(
      keep ? "\ninterrupted (--keep: left in place)" : "\ninterrupted: deleting what this example created...",
    );
    (keep ? Promise.resolve() : cleanUp()).finally(() => process.exit(130));
  });
  const started = Date.now();
  const served = new Map<string, number>();
  // The header of the per-second lines: served counts are per full instance id.
  console.log(
    `${"time".padStart(5)}  ${"InService".padStart(9)}  ${"cpu".padStart(4)}  ${"alarms".padEnd(42)}  served (instance:requests)`,
  );
  while ((await report(started, served)) < 1) await sleep(1000);
  console.log("load on: 6 concurrent /burn requests");
  const load = driveLoad(6, served);
  let peak = 1;
  const outDeadline = Date.now() + 15 * 60_000;
  while (Date.now() < outDeadline) {
    await sleep(1000);
    peak = Math.max(peak, await report(started, served));
    if (peak >= 2 && served.size >= 2) break;
  }
  await sleep(5000);
  await load.stop();
  console.log(`load off (${load.failures()} failed requests); waiting for the group to scale back in`);
  const inDeadline = Date.now() + 30 * 60_000;
  while (Date.now() < inDeadline) {
    await sleep(1000);
    if ((await report(started, served)) <= 1) break;
  }
  const { activities } = await call<{
    activities: Array<{ description: string; cause: string; statusCode: string }>;
  }>("GET", `/v1/auto-scaling-groups/${name}/activities`);
  console.log("\nscaling activities (newest first):");
  for (const a of activities.slice(0, 8)) console.log(`- ${a.statusCode}: ${a.description}\n    ${a.cause}`);
  if (keep) {
    console.log(`\n--keep: '${name}' and its load balancer, target group and launch template stay`);
    return;
  }
  console.log(`\ndeleting '${name}' and its load balancer, target group and launch template...`);
  await cleanUp();
  console.log("done");
}

main().catch((error: unknown) => {
  // Interrupted: the clean-up deletes what the report loop still reads; the clean-up ends the process.
  if (interrupted) return;
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
