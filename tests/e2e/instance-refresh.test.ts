// Instance refresh end to end (issue 12): the real api, worker and proxy as child processes, the group
// driven through the AWS SDK v3 clients (Auto Scaling for the refresh, CloudWatch for its alarm; template
// versions over REST: the EC2 client is the api package's, and apps/api/test/aws covers that door),
// instances from the process driver behind a real listener under a light bounded loopback stream. A
// refresh replaces every instance with the new version without a failed request; SkipMatching skips
// instances that already match; a rollback restores the old version; a cancel stops a refresh half-way;
// an alarm of the AlarmSpecification rolls a refresh back by itself.

import { join } from "node:path";
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  type InstanceRefresh,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { createProcessDriver } from "@scaleout/compute";
import { eventually, integrationTest as test } from "@scaleout/testing";
import { afterEach, expect } from "vitest";
import { createTraffic, driveLoad, type Load, type Traffic } from "./load.ts";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

let system: RunningSystem | undefined;
let loads: Load[] = [];
let cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(loads.map((load) => load.stop()));
  loads = [];
  system?.kill();
  system = undefined;
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

function report(traffic: Traffic): string {
  const failures = traffic.failures
    .slice(0, 20)
    .map((f) => `  ${new Date(f.at).toISOString()} ${f.url} ${f.reason}`)
    .join("\n");
  return `${traffic.ok} ok, ${traffic.failures.length} failed${failures ? `\n${failures}` : ""}`;
}

test("instance refresh over the SDK: replace, skip matching, roll back, cancel, auto rollback, under traffic", {
  timeout: 240_000,
}, async ({ redisUrl, prefix, dataDir }) => {
  const name = `refresh-${prefix}`;
  const sys = await startSystem({ redisUrl, prefix, dataDir, compute: "process" });
  system = sys;
  const driver = createProcessDriver({ stateDir: join(dataDir, "instances"), graceSeconds: 0 });
  cleanup.push(async () => {
    for (const instance of await driver.list(name))
      await driver.terminate(instance.instanceId, { graceSeconds: 0 });
    await driver.close();
  });
  const fail = (message: string) => (error: unknown) => {
    throw new Error(`${message}: ${error instanceof Error ? error.message : String(error)}\n${sys.output()}`);
  };
  const config = {
    endpoint: sys.api,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  };
  const autoScaling = new AutoScalingClient(config);
  const cloudWatch = new CloudWatchClient(config);

  const { targetGroupArn, targetGroup, port } = await addLoadBalancedGroup(sys, name, {
    deregistrationDelaySeconds: 1,
  });
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: name,
    command: [process.execPath, exampleApp],
    environment: { APP_VERSION: "1" },
  });
  for (const version of ["2", "3"]) {
    await sys.ok("POST", `/v1/launch-templates/${name}/versions`, {
      sourceVersion: "1",
      environment: { APP_VERSION: version },
    });
  }
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: name, Version: "1" },
      MinSize: 1,
      MaxSize: 6,
      DesiredCapacity: 3,
      TargetGroupARNs: [targetGroupArn],
      HealthCheckType: "ELB",
      HealthCheckGracePeriod: 1,
    }),
  );

  const healthy = async () =>
    (
      await sys.ok<{ targetHealthDescriptions: Array<{ targetHealth: { state: string } }> }>(
        "GET",
        `/v1/target-groups/${targetGroup}/health`,
      )
    ).targetHealthDescriptions.filter((t) => t.targetHealth.state === "healthy").length;
  await eventually(async () => ((await healthy()) === 3 ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    message: "three healthy instances",
  }).catch(fail("start"));

  const traffic = createTraffic();
  const load = driveLoad(traffic, {
    url: `http://127.0.0.1:${port}/sleep?ms=5`,
    concurrency: 2,
    pauseMs: 20,
    maxMs: 200_000,
  });
  loads.push(load);

  const versions = async () =>
    (await autoScaling.send(new DescribeAutoScalingInstancesCommand({}))).AutoScalingInstances?.filter(
      (i) => i.AutoScalingGroupName === name,
    ).map((i) => ({ id: i.InstanceId ?? "", version: i.LaunchTemplate?.Version, state: i.LifecycleState })) ??
    [];
  const refresh = async (id: string): Promise<InstanceRefresh> => {
    const { InstanceRefreshes } = await autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, InstanceRefreshIds: [id] }),
    );
    const found = InstanceRefreshes?.[0];
    if (!found) throw new Error(`no refresh ${id}`);
    return found;
  };
  const until = (id: string, status: string, timeoutMs = 90_000) =>
    eventually(
      async () => {
        const r = await refresh(id);
        return r.Status === status ? r : undefined;
      },
      { timeoutMs, intervalMs: 250, message: `refresh ${id} to be ${status}` },
    ).catch(async (error: unknown) => {
      const health = await sys.call("GET", `/v1/target-groups/${targetGroup}/health`);
      fail(
        `waiting for ${status} (${report(traffic)}) ${JSON.stringify(await refresh(id))} ${JSON.stringify(health.body)} ${JSON.stringify(await versions())}`,
      )(error);
      throw error;
    });

  // ---- A refresh to version 2 replaces every instance ----------------------------------------------
  const before = await versions();
  expect(before.map((i) => i.version)).toEqual(["1", "1", "1"]);
  const { InstanceRefreshId: first } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: "2" } },
      Preferences: { MinHealthyPercentage: 50, MaxHealthyPercentage: 150, InstanceWarmup: 1 },
    }),
  );
  if (!first) throw new Error("no refresh id");
  await expect(
    autoScaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: name })),
  ).rejects.toMatchObject({ name: "InstanceRefreshInProgressFault" });
  const done = await until(first, "Successful");
  expect(done).toMatchObject({
    PercentageComplete: 100,
    InstancesToUpdate: 0,
    Preferences: { MinHealthyPercentage: 50, MaxHealthyPercentage: 150, SkipMatching: false },
  });
  const after = await versions();
  expect(after.map((i) => i.version)).toEqual(["2", "2", "2"]);
  expect(after.some((i) => before.some((b) => b.id === i.id))).toBe(false);
  const data = await sys.ok<{ environment: Record<string, string> }>(
    "GET",
    `/v1/instances/${after[0]?.id}/launch-template-data`,
  );
  expect(data.environment).toEqual({ APP_VERSION: "2" });
  const { Activities } = await autoScaling.send(
    new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }),
  );
  expect(
    Activities?.filter((a) =>
      /an instance was taken out of service in response to an instance refresh\./.test(a.Cause ?? ""),
    ).length,
  ).toBe(3);

  // ---- SkipMatching: nothing to replace ---------------------------------------------------------------
  const { InstanceRefreshId: skip } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: "2" } },
      Preferences: { SkipMatching: true },
    }),
  );
  if (!skip) throw new Error("no refresh id");
  expect(await until(skip, "Successful")).toMatchObject({ PercentageComplete: 100, InstancesToUpdate: 0 });
  expect((await versions()).map((i) => i.id)).toEqual(after.map((i) => i.id));

  // ---- Rollback: a refresh to 3 held at a checkpoint goes back to 2 ------------------------------------
  const { InstanceRefreshId: third } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: "3" } },
      Preferences: {
        MinHealthyPercentage: 60,
        InstanceWarmup: 0,
        CheckpointPercentages: [30, 100],
        CheckpointDelay: 600,
      },
    }),
  );
  if (!third) throw new Error("no refresh id");
  await eventually(
    async () =>
      (await versions()).some((i) => i.version === "3" && i.state === "InService") ? true : undefined,
    { timeoutMs: 60_000, intervalMs: 250, message: "one instance on version 3" },
  ).catch(fail("checkpoint"));
  await autoScaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: name }));
  const rolledBack = await until(third, "RollbackSuccessful");
  expect(rolledBack.RollbackDetails?.PercentageCompleteOnRollback).toBe(100);
  expect((await versions()).map((i) => i.version)).toEqual(["2", "2", "2"]);

  // ---- Cancel: a refresh held at a checkpoint stops there -------------------------------------------------
  const { InstanceRefreshId: fourth } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: "3" } },
      Preferences: {
        MinHealthyPercentage: 60,
        InstanceWarmup: 0,
        CheckpointPercentages: [30, 100],
        CheckpointDelay: 600,
      },
    }),
  );
  if (!fourth) throw new Error("no refresh id");
  await eventually(
    async () =>
      (await refresh(fourth)).StatusReason?.startsWith("Waiting for the checkpoint") ? true : undefined,
    { timeoutMs: 60_000, intervalMs: 250, message: "the checkpoint" },
  ).catch(fail("cancel checkpoint"));
  await autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: name }));
  await until(fourth, "Cancelled");
  await expect(
    autoScaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: name })),
  ).rejects.toMatchObject({ name: "ActiveInstanceRefreshNotFoundFault" });
  const mixed = (await versions()).map((i) => i.version).sort();
  expect(mixed).toEqual(["2", "2", "3"]);

  // ---- AutoRollback: an alarm of the AlarmSpecification in ALARM fails the refresh and rolls it back -----
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `${name}-errors`,
      Namespace: "Deploy",
      MetricName: "Errors",
      Statistic: "Maximum",
      Period: 1,
      EvaluationPeriods: 1,
      Threshold: 50,
      ComparisonOperator: "GreaterThanThreshold",
    }),
  );
  const { InstanceRefreshId: fifth } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: "3" } },
      Preferences: {
        MinHealthyPercentage: 60,
        InstanceWarmup: 0,
        CheckpointPercentages: [30, 100],
        CheckpointDelay: 600,
        AutoRollback: true,
        AlarmSpecification: { Alarms: [`${name}-errors`] },
      },
    }),
  );
  if (!fifth) throw new Error("no refresh id");
  await eventually(
    async () =>
      (await refresh(fifth)).StatusReason?.startsWith("Waiting for the checkpoint") ? true : undefined,
    { timeoutMs: 60_000, intervalMs: 250, message: "the checkpoint" },
  ).catch(fail("auto rollback checkpoint"));
  // The deployment's error metric goes up: the alarm fires.
  const errors = setInterval(() => {
    cloudWatch
      .send(
        new PutMetricDataCommand({ Namespace: "Deploy", MetricData: [{ MetricName: "Errors", Value: 100 }] }),
      )
      .catch(() => undefined);
  }, 300);
  try {
    const autoRolledBack = await until(fifth, "RollbackSuccessful");
    expect(autoRolledBack.StatusReason).toContain(`${name}-errors`);
    expect(autoRolledBack.RollbackDetails?.RollbackReason).toContain(`${name}-errors`);
  } finally {
    clearInterval(errors);
  }
  expect((await versions()).map((i) => i.version)).toEqual(["2", "2", "2"]);

  // ---- Traffic kept answering throughout ------------------------------------------------------------------
  const servedBefore = traffic.ok;
  await eventually(() => (traffic.ok >= servedBefore + 10 ? true : undefined), { timeoutMs: 20_000 });
  await load.stop();
  expect(traffic.failures, report(traffic)).toEqual([]);
  expect(traffic.ok).toBeGreaterThan(100);
  await sys.stop();
});
