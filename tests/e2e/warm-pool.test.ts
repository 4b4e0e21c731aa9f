// Warm pools through the AWS SDK v3 (issue 12 item 8), acting on real instances: the real api, worker and
// proxy as child processes in fast mode, instances from the process driver. PutWarmPool prepares MinSize
// instances that are really stopped (SIGSTOP: state T in /proc); a scale-out takes them first and they
// serve traffic through the listener; ReuseOnScaleIn returns a scaled-in instance to the pool; DeleteWarmPool
// empties it. AWS's validation answers too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Activity,
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DeleteWarmPoolCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  type DescribeWarmPoolCommandOutput,
  PutLifecycleHookCommand,
  PutWarmPoolCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import { createProcessDriver } from "@scaleout/compute";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

let system: RunningSystem | undefined;
let cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  system?.kill();
  system = undefined;
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

/** A process's state letter from /proc/<pid>/stat (T: stopped by a signal). */
function processState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

async function fetchInstanceId(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.json()) as { instanceId?: string };
    return res.ok ? body.instanceId : undefined;
  } catch {
    return undefined;
  }
}

test("a warm pool is prepared stopped, serves a scale-out first, takes instances back and empties", async ({
  redisUrl,
  prefix,
  dataDir,
}) => {
  const sys = await startSystem({ redisUrl, prefix, dataDir, compute: "process" });
  system = sys;
  const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
  const name = `wp-${prefix}`;
  cleanup.push(async () => {
    for (const instance of await driver.list(name))
      await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  });
  const client = new AutoScalingClient({
    endpoint: sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const fail = (error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n${sys.output().slice(-6000)}`,
    );
  };

  const { targetGroupArn, port } = await addLoadBalancedGroup(sys, name, { deregistrationDelaySeconds: 1 });
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: [process.execPath, exampleApp],
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 0,
    maxSize: 4,
    desiredCapacity: 0,
    targetGroupARNs: [targetGroupArn],
  });

  // ---- AWS's validation ----------------------------------------------------------------------------
  await expect(
    client.send(
      new PutWarmPoolCommand({ AutoScalingGroupName: name, MinSize: 3, MaxGroupPreparedCapacity: 2 }),
    ),
  ).rejects.toMatchObject({ name: "ValidationError" });
  await expect(
    client.send(new PutWarmPoolCommand({ AutoScalingGroupName: name, PoolState: "Frozen" as "Stopped" })),
  ).rejects.toMatchObject({ name: "ValidationError" });
  await expect(client.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: name }))).rejects.toMatchObject({
    name: "ValidationError",
    message: expect.stringContaining("No warm pool found"),
  });
  await expect(
    client.send(new PutWarmPoolCommand({ AutoScalingGroupName: `${name}-none` })),
  ).rejects.toMatchObject({ name: "ValidationError" });
  expect(await client.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }))).toMatchObject({
    Instances: [],
  });

  // ---- PutWarmPool: MinSize instances, prepared and really stopped ---------------------------------
  await client.send(
    new PutWarmPoolCommand({
      AutoScalingGroupName: name,
      MinSize: 2,
      MaxGroupPreparedCapacity: 2,
      PoolState: "Stopped",
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    }),
  );
  const describe = () => client.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }));
  const stoppedPool = (want: number) => async (): Promise<DescribeWarmPoolCommandOutput | undefined> => {
    const pool = await describe();
    const instances = pool.Instances ?? [];
    return instances.length === want && instances.every((i) => i.LifecycleState === "Warmed:Stopped")
      ? pool
      : undefined;
  };
  const prepared = await eventually(stoppedPool(2), {
    timeoutMs: 45_000,
    intervalMs: 200,
    message: "two Warmed:Stopped instances",
  }).catch(fail);
  expect(prepared.WarmPoolConfiguration).toEqual({
    MinSize: 2,
    MaxGroupPreparedCapacity: 2,
    PoolState: "Stopped",
    InstanceReusePolicy: { ReuseOnScaleIn: true },
  });
  const poolIds = (prepared.Instances ?? []).map((i) => i.InstanceId ?? "");
  for (const id of poolIds) {
    const runtime = await driver.inspect(id);
    expect(runtime?.state).toBe("stopped");
    expect(processState(Number(runtime?.ref))).toBe("T");
  }
  const [group] =
    (await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
      .AutoScalingGroups ?? [];
  expect(group).toMatchObject({ WarmPoolSize: 2, Instances: [], WarmPoolConfiguration: { MinSize: 2 } });

  // ---- Scale-out takes the pool's instances first, and they serve through the listener -------------
  await client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 2 }));
  const inService = async () => {
    const [g] =
      (await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
        .AutoScalingGroups ?? [];
    return (g?.Instances ?? [])
      .filter((i) => i.LifecycleState === "InService")
      .map((i) => i.InstanceId ?? "");
  };
  await eventually(async () => ((await inService()).length === 2 ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: "two InService instances",
  }).catch(fail);
  expect((await inService()).sort()).toEqual([...poolIds].sort());
  const served = new Set<string>();
  await eventually(
    async () => {
      const id = await fetchInstanceId(port);
      if (id) served.add(id);
      return served.size === 2 ? true : undefined;
    },
    {
      timeoutMs: 30_000,
      intervalMs: 50,
      message: "both former pool instances answering through the listener",
    },
  ).catch(fail);
  expect([...served].sort()).toEqual([...poolIds].sort());
  const activities = async (): Promise<Activity[]> =>
    (await client.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }))).Activities ??
    [];
  const descriptions = (await activities()).map((a) => a.Description);
  for (const id of poolIds) {
    expect(descriptions).toContain(`Launching a new EC2 instance into warm pool: ${id}`);
    expect(descriptions).toContain(`Launching a new EC2 instance from warm pool: ${id}`);
  }
  // The pool refills to MinSize with new instances.
  const refilled = await eventually(stoppedPool(2), { timeoutMs: 45_000, intervalMs: 200 }).catch(fail);
  expect((refilled.Instances ?? []).some((i) => poolIds.includes(i.InstanceId ?? ""))).toBe(false);

  // ---- ReuseOnScaleIn: a scaled-in instance returns to the pool, stopped ---------------------------
  await client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }));
  const returned = await eventually(
    async () => {
      const pool = await describe();
      return (pool.Instances ?? []).find(
        (i) => poolIds.includes(i.InstanceId ?? "") && i.LifecycleState === "Warmed:Stopped",
      );
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "a scaled-in instance back in the pool" },
  ).catch(fail);
  const back = await driver.inspect(returned.InstanceId ?? "");
  expect(processState(Number(back?.ref))).toBe("T");
  expect(await inService()).toHaveLength(1);
  expect(poolIds).toContain(returned.InstanceId);
  // The pool settles at its size again (MinSize 2): the surplus goes, the returned instance stays.
  await eventually(stoppedPool(2), { timeoutMs: 30_000, intervalMs: 200 }).catch(fail);

  // ---- DeleteWarmPool: PendingDelete while it empties, then gone ----------------------------------
  const pooledIds = ((await describe()).Instances ?? []).map((i) => i.InstanceId ?? "");
  await client.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: name }));
  const right = await describe();
  // The worker may already have emptied it; if not, it says so.
  if (right.WarmPoolConfiguration) expect(right.WarmPoolConfiguration.Status).toBe("PendingDelete");
  await eventually(
    async () => {
      const pool = await describe();
      return pool.WarmPoolConfiguration === undefined && (pool.Instances ?? []).length === 0
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "the warm pool deleted" },
  ).catch(fail);
  for (const id of pooledIds) expect(await driver.inspect(id)).toBeUndefined();
  const [after] =
    (await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
      .AutoScalingGroups ?? [];
  expect(after?.WarmPoolConfiguration).toBeUndefined();
  expect(after?.Instances).toHaveLength(1);
  expect((await activities()).map((a) => a.Description)).toContain(
    `Terminating EC2 instance from warm pool: ${pooledIds[0]}`,
  );
}, 180_000);

test("a launch hook holds a pool instance in Warmed:Pending:Wait, and a launch from the pool in Pending:Wait", async ({
  redisUrl,
  prefix,
  dataDir,
}) => {
  const sys = await startSystem({ redisUrl, prefix, dataDir, compute: "process" });
  system = sys;
  const driver = createProcessDriver({ stateDir: join(dataDir, "instances") });
  const name = `wph-${prefix}`;
  cleanup.push(async () => {
    for (const instance of await driver.list(name))
      await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  });
  const client = new AutoScalingClient({
    endpoint: sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  const fail = (error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n${sys.output().slice(-6000)}`,
    );
  };
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: [process.execPath, exampleApp],
  });
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: name },
    minSize: 0,
    maxSize: 2,
    desiredCapacity: 0,
  });
  await client.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: name,
      LifecycleHookName: "bootstrap",
      LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      HeartbeatTimeout: 300,
      DefaultResult: "ABANDON",
    }),
  );
  await client.send(
    new PutWarmPoolCommand({ AutoScalingGroupName: name, MinSize: 1, MaxGroupPreparedCapacity: 1 }),
  );
  const poolInstance = async (state: string) => {
    const pool = await client.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: name }));
    return pool.Instances?.find((i) => i.LifecycleState === state);
  };
  const waiting = await eventually(() => poolInstance("Warmed:Pending:Wait"), {
    timeoutMs: 30_000,
    intervalMs: 200,
    message: "a pool instance in Warmed:Pending:Wait",
  }).catch(fail);
  const id = waiting.InstanceId ?? "";
  // Held running (its bootstrap can run), not parked.
  expect((await driver.inspect(id))?.state).toBe("running");
  const complete = () =>
    client.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: name,
        LifecycleHookName: "bootstrap",
        InstanceId: id,
        LifecycleActionResult: "CONTINUE",
      }),
    );
  await complete();
  await eventually(() => poolInstance("Warmed:Stopped"), { timeoutMs: 30_000, intervalMs: 200 }).catch(fail);
  expect((await driver.inspect(id))?.state).toBe("stopped");

  // Taken by a scale-out, it is started and then held by the same hook before it goes in service.
  await client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 1 }));
  const state = async () => {
    const [g] =
      (await client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
        .AutoScalingGroups ?? [];
    return g?.Instances?.find((i) => i.InstanceId === id)?.LifecycleState;
  };
  await eventually(async () => ((await state()) === "Pending:Wait" ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    message: "the pool instance in Pending:Wait",
  }).catch(fail);
  expect((await driver.inspect(id))?.state).toBe("running");
  await complete();
  await eventually(async () => ((await state()) === "InService" ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
  }).catch(fail);
}, 120_000);
