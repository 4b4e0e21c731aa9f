// The test of issue 12's instance metadata: a launch lifecycle hook holds a new instance in Pending:Wait,
// out of its target group, until the instance itself finds out who it is through its metadata service
// and completes the lifecycle action with the AWS CLI, exactly as a user-data script does on EC2:
//   aws autoscaling complete-lifecycle-action --instance-id $(imds instance-id) ...
// The real api, worker and proxy run as child processes (npm start's way) with the process driver.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AutoScalingClient, PutLifecycleHookCommand } from "@aws-sdk/client-auto-scaling";
import { createProcessDriver } from "@scaleout/compute";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

interface Instance {
  instanceId: string;
  lifecycleState: string;
}
interface TargetHealth {
  target: { id: string; port?: number };
  targetHealth: { state: string };
}

/** The `aws` binary, or undefined (CI installs Debian's awscli; elsewhere the test says why it skips). */
function awsCli(): string | undefined {
  try {
    execFileSync("aws", ["--version"], { stdio: "ignore", timeout: 30_000 });
    return "aws";
  } catch {
    return undefined;
  }
}
const aws = awsCli();

let system: RunningSystem | undefined;
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  system?.kill();
  system = undefined;
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

/** The AWS SDK v3 client on the system's AWS door. */
const autoScalingOf = (sys: RunningSystem) =>
  new AutoScalingClient({
    endpoint: sys.api,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });

/**
 * The instance: starts the app, asks its metadata service for a token, its id and its target lifecycle
 * state, looks itself up with the AWS CLI, waits for the test's go, then completes its own launch
 * lifecycle action with the AWS CLI; later, when its target lifecycle state turns Terminated, it
 * completes its termination lifecycle action the same way.
 */
const script = `
set -u
"${process.execPath}" "${exampleApp}" &
IMDS="$AWS_EC2_METADATA_SERVICE_ENDPOINT"
TOKEN=$(curl -sS -X PUT "\${IMDS}latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
get() { curl -sS -H "X-aws-ec2-metadata-token: $TOKEN" "\${IMDS}latest/meta-data/$1"; }
ID=$(get instance-id)
get autoscaling/target-lifecycle-state > "$OUT/$ID.tmp" && mv "$OUT/$ID.tmp" "$OUT/$ID.target-state"
aws autoscaling describe-auto-scaling-instances --instance-ids "$ID" --output json \
  --endpoint-url "$AWS_ENDPOINT_URL" > "$OUT/$ID.describe.tmp" 2>&1
mv "$OUT/$ID.describe.tmp" "$OUT/$ID.describe"
while [ ! -e "$OUT/go" ]; do sleep 0.2; done
aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE \\
  --instance-id "$ID" --lifecycle-hook-name launch-hook --auto-scaling-group-name "$GROUP" \\
  --endpoint-url "$AWS_ENDPOINT_URL" > "$OUT/$ID.complete" 2>&1
echo $? > "$OUT/$ID.rc"
until [ "$(get autoscaling/target-lifecycle-state)" = Terminated ]; do sleep 0.2; done
echo Terminated > "$OUT/$ID.tmp" && mv "$OUT/$ID.tmp" "$OUT/$ID.terminating"
while [ ! -e "$OUT/go-drain" ]; do sleep 0.2; done
aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE \\
  --instance-id "$ID" --lifecycle-hook-name drain --auto-scaling-group-name "$GROUP" \\
  --endpoint-url "$AWS_ENDPOINT_URL"
wait
`;

/** Skips with the reason when the AWS CLI is missing; in CI (which installs it) that is a failure. */
function needAwsCli(skip: (note: string) => void): void {
  if (aws !== undefined) return;
  if (process.env.CI === "true")
    throw new Error("CI=true but the aws CLI is not on PATH (.ci/run installs awscli)");
  skip("the aws CLI is not on PATH (CI installs Debian's awscli; pip install awscli works too)");
}

/** The system, a target group with fast health checks, the instance's template and its group (desired 0). */
async function setUp(redisUrl: string, prefix: string, dataDir: string) {
  const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
  cleanup.push(() => driver.close());
  cleanup.push(async () => {
    for (const instance of await driver.list())
      await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  });
  const out = join(dataDir, "out");
  mkdirSync(out, { recursive: true });
  const sys = await startSystem({ redisUrl, prefix, dataDir, compute: "process" });
  system = sys;
  const name = `imds-${prefix}`.slice(0, 28);
  // Behind a listener, so that a registered instance is health-checked and takes traffic.
  const { targetGroupArn, targetGroup, port } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 0,
  });
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: ["/bin/sh", "-c", script],
    environment: { OUT: out, GROUP: name },
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 0,
    maxSize: 2,
    desiredCapacity: 0,
    targetGroupARNs: [targetGroupArn],
  });
  const instances = async () =>
    (await sys.ok<{ instances: Instance[] }>("GET", `/v1/auto-scaling-groups/${name}/instances`)).instances;
  const targets = async () =>
    (
      await sys.ok<{ targetHealthDescriptions: TargetHealth[] }>(
        "GET",
        `/v1/target-groups/${targetGroup}/health`,
      )
    ).targetHealthDescriptions;
  /** A file the instance writes, once it is there. */
  const written = (file: string, timeoutMs = 60_000) =>
    eventually(() => (existsSync(join(out, file)) ? readFileSync(join(out, file), "utf8") : undefined), {
      timeoutMs,
      intervalMs: 200,
      message: `${file} written by the instance`,
    });
  return { sys, name, out, port, instances, targets, written };
}

test("an instance looks itself up with the AWS CLI, which reaches scaleout through AWS_ENDPOINT_URL", async ({
  redisUrl,
  prefix,
  dataDir,
  skip,
}) => {
  needAwsCli(skip);
  const { sys, name, out, instances, written } = await setUp(redisUrl, prefix, dataDir);
  await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: 1 });
  const instance = await eventually(async () => (await instances())[0], {
    timeoutMs: 30_000,
    message: "an instance",
  });
  const text = await written(`${instance.instanceId}.describe`);
  const described = JSON.parse(text) as { AutoScalingInstances: Array<Record<string, unknown>> };
  expect(described.AutoScalingInstances).toEqual([
    expect.objectContaining({ InstanceId: instance.instanceId, AutoScalingGroupName: name }),
  ]);
  expect(readFileSync(join(out, `${instance.instanceId}.target-state`), "utf8")).toBe("InService");
  await sys.stop();
}, 180_000);

test("a launch hook holds an instance out of its target group until the instance completes it itself through IMDS and the AWS CLI; a termination hook likewise once it reads Terminated", async ({
  redisUrl,
  prefix,
  dataDir,
  skip,
}) => {
  needAwsCli(skip);
  const { sys, name, out, port, instances, targets, written } = await setUp(redisUrl, prefix, dataDir);
  await autoScalingOf(sys).send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: name,
      LifecycleHookName: "launch-hook",
      LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      HeartbeatTimeout: 120,
      DefaultResult: "ABANDON",
    }),
  );
  await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: 1 });

  // Held: Pending:Wait, registered nowhere, while the instance already knows who it is and heads for
  // InService (target-lifecycle-state changes when the transition starts).
  const waiting = await eventually(
    async () => {
      const [instance] = await instances();
      return instance?.lifecycleState === "Pending:Wait" ? instance : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "an instance in Pending:Wait" },
  );
  expect(await written(`${waiting.instanceId}.target-state`)).toBe("InService");
  const describe = await written(`${waiting.instanceId}.describe`);
  expect(describe).toContain('"LifecycleState": "Pending:Wait"');
  expect(await targets()).toEqual([]);
  expect((await instances())[0]?.lifecycleState).toBe("Pending:Wait");

  // Go: the instance completes its own lifecycle action; it goes InService and into its target group.
  writeFileSync(join(out, "go"), "");
  const rc = (await written(`${waiting.instanceId}.rc`)).trim();
  expect(rc, readFileSync(join(out, `${waiting.instanceId}.complete`), "utf8")).toBe("0");
  await eventually(async () => ((await instances())[0]?.lifecycleState === "InService" ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    message: "the instance InService",
  });
  let seen: TargetHealth[] = [];
  await eventually(
    async () => {
      seen = await targets();
      return seen.length === 1 && seen[0]?.targetHealth.state === "healthy" ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "the instance registered and healthy" },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}: targets ${JSON.stringify(seen)}\n${sys.output().slice(-3000)}`);
  });
  // And it takes traffic through the load balancer.
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain(waiting.instanceId);

  // Scale-in behind a termination hook: deregistered, held in Terminating:Wait with its metadata
  // service still up; the instance sees Terminated and lets itself go.
  await autoScalingOf(sys).send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: name,
      LifecycleHookName: "drain",
      LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      HeartbeatTimeout: 120,
      DefaultResult: "ABANDON",
    }),
  );
  await sys.ok("PUT", `/v1/auto-scaling-groups/${name}/desired-capacity`, { desiredCapacity: 0 });
  await eventually(
    async () => ((await instances())[0]?.lifecycleState === "Terminating:Wait" ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 200, message: "the instance in Terminating:Wait" },
  );
  expect(await written(`${waiting.instanceId}.terminating`)).toBe("Terminated\n");
  expect((await targets()).filter((t) => t.targetHealth.state !== "draining")).toEqual([]);
  expect((await instances())[0]?.lifecycleState).toBe("Terminating:Wait");
  writeFileSync(join(out, "go-drain"), "");
  // Gone well before the hook's 120 s heartbeat timeout: the instance's own CONTINUE let it go (the
  // worker may stop it before the CLI has even exited, so its exit status is not waited for).
  await eventually(async () => ((await instances()).length === 0 ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    message: "the instance terminated",
  });
  await sys.stop();
}, 180_000);
