// An auto scaling group behind a Network Load Balancer, through the AWS SDK v3 clients against the whole
// system (api, worker and proxy as processes, fast mode, process-driver instances): a TCP target group
// attached to the group, its instances (a TCP echo service) registered and found healthy by TCP health
// checks, drained on scale-in, and an instance that stops accepting connections (its process still
// running, so EC2's check sees nothing wrong) replaced because the group uses ELB health checks.

import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { CreateAutoScalingGroupCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { freePort } from "@scaleout/queue";
import { eventually } from "@scaleout/testing";
import { expect } from "vitest";
import {
  activities,
  addressOf,
  inService,
  instancesWhen,
  type SdkSystem,
  sdkTest as test,
} from "./system-fixture.ts";

const tcpInstance = join(import.meta.dirname, "nlb-tcp-instance.mjs");

/** The pid of an instance's process (the process driver passes SCALEOUT_INSTANCE_ID in its environment). */
function instancePid(instanceId: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, "utf8").includes(`SCALEOUT_INSTANCE_ID=${instanceId}\0`))
        return pid;
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** The first line a new connection through the listener reads: the instance's id. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error("no greeting")));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const end = text.indexOf("\n");
      if (end === -1) return;
      socket.destroy();
      resolve(text.slice(0, end));
    });
    socket.on("error", reject);
  });
}

async function targetHealth(system: SdkSystem, targetGroupArn: string) {
  const { TargetHealthDescriptions } = await system.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  return new Map(
    (TargetHealthDescriptions ?? []).map((d) => [
      d.Target?.Id ?? "",
      { state: d.TargetHealth?.State, reason: d.TargetHealth?.Reason, port: d.Target?.Port },
    ]),
  );
}

test("a group with a TCP target group: register, TCP health checks, ELB replacement, drain on scale-in", async ({
  system,
  prefix,
}) => {
  const name = `nlb-${prefix}`;
  const { elbv2, autoScaling } = system;

  const lbArn =
    (await elbv2.send(new CreateLoadBalancerCommand({ Name: name, Type: "network", Subnets: ["subnet-1"] })))
      .LoadBalancers?.[0]?.LoadBalancerArn ?? "";
  // Through REST: fast mode's 1 s health checks are below the AWS door's model minimum (5 s).
  const { targetGroupArn } = await system.sys.ok<{ targetGroupArn: string }>("POST", "/v1/target-groups", {
    name: `${name}-tg`,
    protocol: "TCP",
    port: 7000,
    targetType: "instance",
    healthCheckProtocol: "TCP",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
    // Five misses, not two: two checks stalled by a loaded machine would replace a healthy instance.
    unhealthyThresholdCount: 5,
  });
  await elbv2.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: targetGroupArn,
      Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "2" }],
    }),
  );
  const listenerPort = await freePort();
  await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: "TCP",
      Port: listenerPort,
      DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
    }),
  );
  await system.sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: [process.execPath, tcpInstance],
  });
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: name },
      MinSize: 1,
      MaxSize: 3,
      DesiredCapacity: 1,
      TargetGroupARNs: [targetGroupArn],
      HealthCheckType: "ELB",
      HealthCheckGracePeriod: 0,
    }),
  );

  // The first instance registers and passes its TCP checks.
  const [first] = await instancesWhen(system, name, inService(1), "the first instance InService");
  const firstId = first?.InstanceId ?? "";
  // A bound, not a speed claim: a loaded machine (two test forks beside whole systems) can take many
  // health-check intervals to start an instance. The failure names what the targets last were.
  const healthyIds = (wanted: string[]) =>
    eventually(
      async () => {
        const health = await targetHealth(system, targetGroupArn);
        if (wanted.every((id) => health.get(id)?.state === "healthy")) return health;
        throw new Error(
          `last seen: ${wanted
            .map((id) => {
              const seen = health.get(id);
              return `${id} ${seen?.state ?? "unregistered"}${seen?.reason ? ` (${seen.reason})` : ""}`;
            })
            .join(", ")}`,
        );
      },
      { timeoutMs: 45_000, intervalMs: 100, message: `targets ${wanted.join(", ")} healthy` },
    );
  const firstHealth = (await healthyIds([firstId])).get(firstId);
  expect(firstHealth?.port).toBe((await addressOf(system, firstId)).port);

  // Scale out: the new instance registers and becomes healthy on TCP checks.
  await autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 2 }));
  const two = await instancesWhen(system, name, inService(2), "two instances InService");
  const secondId = two.find((i) => i.InstanceId !== firstId)?.InstanceId ?? "";
  await healthyIds([firstId, secondId]);
  // New connections through the TCP listener are flows spread over both instances (each greets with its id).
  const greeted = await eventually(
    async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 16; i++) ids.add(await greeting(listenerPort));
      return ids.has(firstId) && ids.has(secondId) ? ids : undefined;
    },
    { timeoutMs: 20_000, message: "both instances greeting through the TCP listener" },
  );
  expect(greeted.size).toBe(2);

  // The second instance stops accepting connections while its process runs on: TCP checks fail, the
  // target turns unhealthy, and the group (ELB health checks) replaces the instance.
  const pid = instancePid(secondId);
  expect(pid, "the second instance's process").toBeDefined();
  process.kill(pid ?? 0, "SIGUSR2");
  await eventually(
    async () => {
      const target = (await targetHealth(system, targetGroupArn)).get(secondId);
      return target?.state === "unhealthy" && target.reason === "Target.FailedHealthChecks"
        ? true
        : undefined;
    },
    { timeoutMs: 20_000, message: "the second target unhealthy on TCP checks" },
  );
  const replaced = await instancesWhen(
    system,
    name,
    (instances) => inService(2)(instances) && !instances.some((i) => i.InstanceId === secondId),
    "the unhealthy instance replaced",
    60_000,
  );
  const thirdId = replaced.find((i) => i.InstanceId !== firstId)?.InstanceId ?? "";
  await healthyIds([firstId, thirdId]);
  const replacement = (await activities(system, name)).find((a) => a.Description?.includes(secondId));
  expect(replacement?.Cause).toMatch(/in response to an ELB system health check failure\.$/);

  // Scale in: one instance is deregistered (draining, Target.DeregistrationInProgress), then it stops.
  await autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }));
  const draining = await eventually(
    async () => {
      const health = await targetHealth(system, targetGroupArn);
      const entry = [...health].find(([, t]) => t.state === "draining");
      return entry;
    },
    { timeoutMs: 20_000, message: "one target draining" },
  );
  expect(draining[1].reason).toBe("Target.DeregistrationInProgress");
  const [left] = await instancesWhen(system, name, inService(1), "back to one instance", 60_000);
  expect(left?.InstanceId).not.toBe(draining[0]);
  await eventually(
    async () => {
      const health = await targetHealth(system, targetGroupArn);
      return health.size === 1 && health.get(left?.InstanceId ?? "")?.state === "healthy" ? true : undefined;
    },
    { timeoutMs: 20_000, message: "only the remaining instance registered" },
  );
}, 180_000);
