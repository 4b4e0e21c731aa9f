// Scheduled actions, group metrics and failures that leave a trace (issue 12, items 5, 9 and 10), end to
// end: the real api, worker and proxy as child processes on a real Redis, process-driver instances, and
// the features under test driven through the AWS SDK v3 clients, as a user's script would drive them.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScheduledActionsCommand,
  DisableMetricsCollectionCommand,
  EnableMetricsCollectionCommand,
  PutScalingPolicyCommand,
  PutScheduledUpdateGroupActionCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { createProcessDriver } from "@scaleout/compute";
import { eventually, tempDir } from "@scaleout/testing";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { addLoadBalancedGroup, exampleApp, type RunningSystem, startSystem } from "./system.ts";

const caseTimeoutMs = 120_000;
const dir = tempDir();
const prefix = `t${randomBytes(4).toString("hex")}`;
const driver = createProcessDriver({ stateDir: join(dir.dir, "instances") });
let sys: RunningSystem;
let autoScaling: AutoScalingClient;
let cloudWatch: CloudWatchClient;
let elbv2: ElasticLoadBalancingV2Client;
const template = `tpl-${prefix}`;

beforeAll(async () => {
  sys = await startSystem({ redisUrl: inject("redisUrl"), prefix, dataDir: dir.dir, compute: "process" });
  const config = {
    endpoint: sys.api,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  };
  autoScaling = new AutoScalingClient(config);
  cloudWatch = new CloudWatchClient(config);
  elbv2 = new ElasticLoadBalancingV2Client(config);
  await sys.ok("POST", "/v1/launch-templates", {
    launchTemplateName: template,
    command: [process.execPath, exampleApp],
  });
}, 90_000);

afterAll(async () => {
  // The worker and the proxy stop first: nothing may launch while the leftovers go.
  sys?.kill();
  for (const instance of await driver.list())
    await driver.terminate(instance.instanceId, { graceSeconds: 0 });
  await driver.close();
  dir.remove();
});

async function createGroup(name: string, extra: Record<string, unknown> = {}) {
  await sys.ok("POST", "/v1/auto-scaling-groups", {
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateName: template },
    minSize: 0,
    maxSize: 3,
    desiredCapacity: 0,
    ...extra,
  });
}

async function groupOf(name: string) {
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = AutoScalingGroups?.[0];
  if (!group) throw new Error(`no group ${name}`);
  return group;
}

async function scheduledActionsOf(name: string) {
  return (
    (await autoScaling.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: name })))
      .ScheduledUpdateGroupActions ?? []
  );
}

const fail = (message: string) => (error: unknown) => {
  throw new Error(`${message}: ${error instanceof Error ? error.message : String(error)}\n${sys.output()}`);
};

test(
  "a one-time scheduled action fires and changes the desired capacity; a recurring one moves to its next run",
  async () => {
    const name = `sched-${prefix}`;
    await createGroup(name);
    const at = new Date(Date.now() + 2_000);
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: name,
        ScheduledActionName: "once",
        StartTime: at,
        MinSize: 0,
        MaxSize: 3,
        DesiredCapacity: 1,
      }),
    );
    // Fires at its StartTime, then every minute.
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: name,
        ScheduledActionName: "every-minute",
        StartTime: new Date(at.getTime() + 1_000),
        Recurrence: "* * * * *",
        MaxSize: 3,
      }),
    );

    const group = await eventually(
      async () => {
        const g = await groupOf(name);
        return g.DesiredCapacity === 1 ? g : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, message: "the scheduled desired capacity" },
    ).catch(fail("one-time action"));
    const firedAfter = Date.now() - at.getTime();
    process.stdout.write(`[scheduled] desired capacity changed ${firedAfter} ms after StartTime\n`);
    expect(group.MinSize).toBe(0);
    expect(group.MaxSize).toBe(3);

    // The one-time action is gone once it has run (as AWS deletes it); the recurring one ran at its
    // StartTime and now shows its next run, the next whole minute.
    const recurring = await eventually(
      async () => {
        const actions = await scheduledActionsOf(name);
        const next = actions[0]?.StartTime;
        return actions.length === 1 && next && next.getTime() > at.getTime() + 1_000 ? actions[0] : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, message: "the recurring action's next run" },
    ).catch(fail("recurring action"));
    expect(recurring?.ScheduledActionName).toBe("every-minute");
    const next = recurring?.StartTime?.getTime() ?? 0;
    expect(next % 60_000).toBe(0);
    expect(next - Date.now()).toBeLessThanOrEqual(60_000);

    // The worker launches for it, with AWS's cause.
    const activity = await eventually(
      async () => {
        const { Activities } = await autoScaling.send(
          new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }),
        );
        return Activities?.find(
          (a) => a.Description?.startsWith("Launching") && a.StatusCode === "Successful",
        );
      },
      { timeoutMs: 30_000, intervalMs: 250, message: "a successful launch" },
    ).catch(fail("launch"));
    expect(activity.Cause).toMatch(
      /^At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a scheduled action update of AutoScalingGroup constraints to min: 0, max: 3, desired: 1 changing the desired capacity from 0 to 1\./,
    );
  },
  caseTimeoutMs,
);

test(
  "a suspended ScheduledActions process holds the group: the due action is skipped",
  async () => {
    const name = `held-${prefix}`;
    await createGroup(name);
    await autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: ["ScheduledActions"] }),
    );
    const at = new Date(Date.now() + 1_500);
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: name,
        ScheduledActionName: "held",
        StartTime: at,
        DesiredCapacity: 2,
      }),
    );
    // The worker reaches the action (it leaves the list: a one-time action is not made up for later)...
    await eventually(async () => ((await scheduledActionsOf(name)).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 200,
      message: "the due action to be taken",
    }).catch(fail("suspended action"));
    // ...and leaves the group as it was.
    const group = await groupOf(name);
    expect(group.DesiredCapacity).toBe(0);
    const { Activities } = await autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name }),
    );
    expect(Activities ?? []).toEqual([]);
    await eventually(
      async () => (sys.output().includes("ScheduledActions is suspended") ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
        message: "the worker's log line for the skipped action",
      },
    ).catch(fail("log line"));
  },
  caseTimeoutMs,
);

test(
  "EnableMetricsCollection makes the group metrics appear in ListMetrics and GetMetricStatistics",
  async () => {
    const name = `metrics-${prefix}`;
    await createGroup(name, { desiredCapacity: 1, minSize: 1 });
    await autoScaling.send(
      new EnableMetricsCollectionCommand({
        AutoScalingGroupName: name,
        Granularity: "1Minute",
        Metrics: ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances", "GroupMaxSize"],
      }),
    );
    expect((await groupOf(name)).EnabledMetrics).toEqual([
      { Metric: "GroupMaxSize", Granularity: "1Minute" },
      { Metric: "GroupDesiredCapacity", Granularity: "1Minute" },
      { Metric: "GroupInServiceInstances", Granularity: "1Minute" },
      { Metric: "GroupTotalInstances", Granularity: "1Minute" },
    ]);
    const dimensions = [{ Name: "AutoScalingGroupName", Value: name }];
    const listed = await eventually(
      async () => {
        const { Metrics } = await cloudWatch.send(
          new ListMetricsCommand({ Namespace: "AWS/AutoScaling", Dimensions: dimensions }),
        );
        const names = (Metrics ?? []).map((m) => m.MetricName).sort();
        return names.length === 4 ? names : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, message: "the group metrics in ListMetrics" },
    ).catch(fail("ListMetrics"));
    expect(listed).toEqual([
      "GroupDesiredCapacity",
      "GroupInServiceInstances",
      "GroupMaxSize",
      "GroupTotalInstances",
    ]);

    // Once the instance is in service, the metric says so.
    const maximum = await eventually(
      async () => {
        const { Datapoints } = await cloudWatch.send(
          new GetMetricStatisticsCommand({
            Namespace: "AWS/AutoScaling",
            MetricName: "GroupInServiceInstances",
            Dimensions: dimensions,
            StartTime: new Date(Date.now() - 120_000),
            EndTime: new Date(Date.now() + 60_000),
            Period: 60,
            Statistics: ["Maximum"],
          }),
        );
        const max = Math.max(0, ...(Datapoints ?? []).map((d) => d.Maximum ?? 0));
        return max >= 1 ? max : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, message: "GroupInServiceInstances to reach 1" },
    ).catch(fail("GetMetricStatistics"));
    expect(maximum).toBe(1);
    const { Datapoints: desired } = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/AutoScaling",
        MetricName: "GroupDesiredCapacity",
        Dimensions: dimensions,
        StartTime: new Date(Date.now() - 120_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ["Minimum", "Maximum"],
      }),
    );
    expect(desired?.every((d) => d.Minimum === 1 && d.Maximum === 1 && d.Unit === "None")).toBe(true);

    await autoScaling.send(new DisableMetricsCollectionCommand({ AutoScalingGroupName: name }));
    expect((await groupOf(name)).EnabledMetrics).toEqual([]);
  },
  caseTimeoutMs,
);

test(
  "a policy execution that fails leaves a failed Action item in the alarm's history and a log line",
  async () => {
    const name = `fails-${prefix}`;
    await createGroup(name);
    const { PolicyARN } = await autoScaling.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: name,
        PolicyName: "steps",
        PolicyType: "StepScaling",
        AdjustmentType: "ChangeInCapacity",
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      }),
    );
    const alarmName = `steps-alarm-${prefix}`;
    await cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarmName,
        Namespace: "Test",
        MetricName: "Load",
        Statistic: "Average",
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [PolicyARN ?? ""],
      }),
    );
    // SetAlarmState carries no metric value: a step policy cannot pick its step.
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarmName,
        StateValue: "ALARM",
        StateReason: "testing the trace",
      }),
    );
    const item = await eventually(
      async () => {
        const { AlarmHistoryItems } = await cloudWatch.send(
          new DescribeAlarmHistoryCommand({ AlarmName: alarmName, HistoryItemType: "Action" }),
        );
        return AlarmHistoryItems?.[0];
      },
      { timeoutMs: 15_000, intervalMs: 200, message: "an Action item in the alarm's history" },
    ).catch(fail("alarm history"));
    expect(item.HistorySummary).toMatch(/^Failed to execute AutoScaling action: .*MetricValue/);
    expect(JSON.parse(item.HistoryData ?? "{}")).toMatchObject({
      actionState: "Failed",
      notificationResource: PolicyARN,
    });
    // pino writes msg last, after the fields. The line reaches the test through the worker's stdout pipe,
    // which may lag the history item written in the same job.
    const logged = /MetricValue[^\n]*"msg":"policy execution failed"/;
    await eventually(async () => (logged.test(sys.output()) ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: "the worker's log line for the failed policy execution",
    }).catch(fail("log line"));
    expect((await groupOf(name)).DesiredCapacity).toBe(0);
  },
  caseTimeoutMs,
);

test(
  "a drained target shows draining for the whole deregistration delay while its instance has already stopped",
  async () => {
    const name = `drain-${prefix}`;
    const delaySeconds = 8;
    const { targetGroupArn } = await addLoadBalancedGroup(sys, name, {
      deregistrationDelaySeconds: delaySeconds,
    });
    await createGroup(name, { desiredCapacity: 1, targetGroupARNs: [targetGroupArn] });
    const health = async () =>
      (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })))
        .TargetHealthDescriptions ?? [];
    await eventually(
      async () => ((await health())[0]?.TargetHealth?.State === "healthy" ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: "a healthy target",
      },
    ).catch(fail("healthy"));
    const [instance] = (await groupOf(name)).Instances ?? [];

    const scaledIn = Date.now();
    await autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 0 }));
    // No request in flight: drained at once, so the instance stops long before the delay runs out...
    await eventually(async () => ((await groupOf(name)).Instances?.length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: "the instance to terminate",
    }).catch(fail("terminate"));
    const stoppedAfter = Date.now() - scaledIn;
    const [target] = await health();
    const stillDraining = Date.now() - scaledIn;
    process.stdout.write(
      `[draining] instance stopped ${stoppedAfter} ms after scale-in; target ${target?.TargetHealth?.State} at ${stillDraining} ms (delay ${delaySeconds} s)\n`,
    );
    expect(stillDraining).toBeLessThan(delaySeconds * 1000);
    expect(target?.TargetHealth).toMatchObject({
      State: "draining",
      Reason: "Target.DeregistrationInProgress",
    });
    expect(await driver.inspect(instance?.InstanceId ?? "")).toBeUndefined();

    // ...and the target shows draining until the delay has run out, then goes.
    await eventually(async () => ((await health()).length === 0 ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: "the target to leave its group",
    }).catch(fail("target gone"));
    expect(Date.now() - scaledIn).toBeGreaterThanOrEqual(delaySeconds * 1000 - 500);
  },
  caseTimeoutMs,
);
