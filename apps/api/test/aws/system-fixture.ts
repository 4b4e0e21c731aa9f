import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Instance,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, integrationTest } from "@scaleout/testing";
import {
  addLoadBalancedGroup,
  exampleApp,
  type RunningSystem,
  startSystem,
} from "../../../../tests/e2e/system.ts";

export { answers, answersWithin } from "../instance-answers.ts";

/*
 * The whole system (api, worker, proxy as processes, fast mode, process driver), driven through the AWS
 * SDK v3 clients: what a user's integration test does. Only processes started here are ever signalled.
 */

export interface SdkSystem {
  sys: RunningSystem;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  cloudWatch: CloudWatchClient;
  elbv2: ElasticLoadBalancingV2Client;
  /** A launch template running the example app, and a group of it behind a load balancer. */
  addGroup(
    name: string,
    sizes: { minSize: number; maxSize: number; desiredCapacity: number },
    options?: { loadBalanced?: boolean; healthCheckType?: "EC2" | "ELB" },
  ): Promise<{ targetGroupArn?: string }>;
  /** Stops the system and every instance process it started. */
  stop(): Promise<void>;
}

/**
 * Instance processes whose output goes to this data directory (the process driver's logs): the ones
 * this system's worker started. Looked up in /proc, so a test leaves none behind even when it fails.
 */
function instanceProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, "utf8");
      if (!environment.includes("SCALEOUT_INSTANCE_ID=")) continue;
      if (readlinkSync(`/proc/${pid}/fd/1`).startsWith(`${dataDir}/`)) pids.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

export async function startSdkSystem(options: {
  redisUrl: string;
  prefix: string;
  dataDir: string;
}): Promise<SdkSystem> {
  // The worker at debug: its `reconcile pass` lines are what afterNextPass waits on.
  const sys = await startSystem({ ...options, compute: "process", env: { LOG_LEVEL: "debug" } });
  const config = {
    endpoint: sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  };
  return {
    sys,
    autoScaling: new AutoScalingClient(config),
    ec2: new EC2Client(config),
    cloudWatch: new CloudWatchClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    async addGroup(name, sizes, { loadBalanced = false, healthCheckType = "EC2" } = {}) {
      const targetGroupArn = loadBalanced
        ? (await addLoadBalancedGroup(sys, name, { deregistrationDelaySeconds: 1 })).targetGroupArn
        : undefined;
      await sys.ok("POST", "/v1/launch-templates", {
        launchTemplateName: name,
        command: [process.execPath, exampleApp],
      });
      await sys.ok("POST", "/v1/auto-scaling-groups", {
        autoScalingGroupName: name,
        launchTemplate: { launchTemplateName: name },
        ...sizes,
        ...(targetGroupArn !== undefined && { targetGroupARNs: [targetGroupArn] }),
        healthCheckType,
        healthCheckGracePeriod: 0,
      });
      return { targetGroupArn };
    },
    async stop() {
      sys.kill();
      for (const pid of instanceProcesses(options.dataDir)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    },
  };
}

/**
 * integrationTest with `system`: the whole system, started for the test that asks for it and stopped
 * after it (its instance processes too), whether the test passed or not.
 */
export const sdkTest = integrationTest.extend<{ system: SdkSystem }>({
  system: async ({ redisUrl, prefix, dataDir }, use) => {
    const system = await startSdkSystem({ redisUrl, prefix, dataDir });
    await use(system);
    await system.stop();
  },
});

// ---- What the tests ask the system, through the SDK ---------------------------------------------------

export async function groupOf(system: SdkSystem, name: string) {
  const { AutoScalingGroups } = await system.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = AutoScalingGroups?.[0];
  if (!group) throw new Error(`no group ${name}`);
  return group;
}

/** The group's instances once `accept` holds for them (nothing else in transit unless it says so). */
export function instancesWhen(
  system: SdkSystem,
  name: string,
  accept: (instances: Instance[]) => boolean,
  message: string,
  timeoutMs = 30_000,
): Promise<Instance[]> {
  return eventually(
    async () => {
      const instances = (await groupOf(system, name)).Instances ?? [];
      return accept(instances) ? instances : undefined;
    },
    { timeoutMs, intervalMs: 200, message: `${message}\n${system.sys.output().slice(-3000)}` },
  );
}

export const states = (instances: Instance[]) => instances.map((i) => i.LifecycleState).sort();
export const inService = (count: number) => (instances: Instance[]) =>
  instances.length === count && instances.every((i) => i.LifecycleState === "InService");

/** How many of the worker's `reconcile pass` lines (debug) are of `group` and started at or after `since`. */
function passesSince(output: string, group: string, since: number): number {
  let count = 0;
  for (const line of output.split("\n")) {
    if (!line.includes('"msg":"reconcile pass"')) continue;
    try {
      const record = JSON.parse(line.slice(line.indexOf("{"))) as { group?: unknown; startedAt?: unknown };
      if (record.group === group && typeof record.startedAt === "number" && record.startedAt >= since)
        count++;
    } catch {
      // a line cut by the output's limit
    }
  }
  return count;
}

/**
 * Resolves once a reconcile pass of `group` that started after this call has ended. Passes of a group
 * run one after another, so every pass that could have read the state before the changes made so far has
 * ended too: what a negative assertion ("nothing launched", "still Healthy") waits for instead of a
 * guessed sleep, which a loaded machine outlasts.
 */
export async function afterNextPass(system: SdkSystem, group: string): Promise<void> {
  const since = Date.now();
  await eventually(() => (passesSince(system.sys.output(), group, since) > 0 ? true : undefined), {
    timeoutMs: 30_000,
    message: `a reconcile pass of ${group} started after ${new Date(since).toISOString()}`,
  });
}

/** Resolves once the worker has logged `message` (info or above) with these fields. */
export async function workerLogged(
  system: SdkSystem,
  message: string,
  fields: Record<string, string>,
): Promise<void> {
  const matches = (line: string) => {
    if (!line.includes(`"msg":${JSON.stringify(message)}`)) return false;
    try {
      const record = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>;
      return Object.entries(fields).every(([key, value]) => record[key] === value);
    } catch {
      return false;
    }
  };
  await eventually(() => (system.sys.output().split("\n").some(matches) ? true : undefined), {
    timeoutMs: 30_000,
    message: `the worker's line ${message} ${JSON.stringify(fields)}`,
  });
}

/** Ports of the targets registered (not draining) in a target group. */
export async function registeredPorts(system: SdkSystem, targetGroupArn: string): Promise<number[]> {
  const { TargetHealthDescriptions } = await system.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  return (TargetHealthDescriptions ?? [])
    .filter((d) => d.TargetHealth?.State !== "draining")
    .map((d) => d.Target?.Port ?? 0)
    .sort();
}

/** Where an instance answers, as a script finds it: EC2 DescribeInstances, the scaleout:port tag. */
export async function addressOf(system: SdkSystem, instanceId: string) {
  const { Reservations } = await system.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations?.[0]?.Instances?.[0];
  const port = Number(instance?.Tags?.find((t) => t.Key === "scaleout:port")?.Value);
  return { instance, address: instance?.PrivateIpAddress, port };
}

/** The body of the first 200 a listener's port answers `/` with (within 30 s), for "traffic reaches an instance". */
export function servedThrough(system: SdkSystem, port: number): Promise<string> {
  return eventually(
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
        const body = await res.text();
        return res.status === 200 ? body : undefined;
      } catch {
        return undefined;
      }
    },
    {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: `traffic through the listener\n${system.sys.output().slice(-3000)}`,
    },
  );
}

export async function activities(system: SdkSystem, name: string) {
  const { Activities } = await system.autoScaling.send(
    new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }),
  );
  return Activities ?? [];
}
