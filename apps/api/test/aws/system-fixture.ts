import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  addLoadBalancedGroup,
  exampleApp,
  type RunningSystem,
  startSystem,
} from "../../../../tests/e2e/system.ts";

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
  const sys = await startSystem({ ...options, compute: "process" });
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
