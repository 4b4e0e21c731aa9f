import {
  BatchDeleteScheduledActionCommand,
  BatchPutScheduledUpdateGroupActionCommand,
  CreateAutoScalingGroupCommand,
  DeleteScheduledActionCommand,
  DescribeAdjustmentTypesCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeMetricCollectionTypesCommand,
  DescribeScheduledActionsCommand,
  DescribeTerminationPolicyTypesCommand,
  DisableMetricsCollectionCommand,
  EnableMetricsCollectionCommand,
  PutScheduledUpdateGroupActionCommand,
  paginateDescribeScheduledActions,
} from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
  const { ec2, autoScaling } = api.clients();
  await ec2.send(
    new CreateLaunchTemplateCommand({ LaunchTemplateName: "sched", LaunchTemplateData: { ImageId: "app" } }),
  );
  for (const name of ["sched-a", "sched-b"]) {
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateName: "sched" },
        MinSize: 0,
        MaxSize: 5,
      }),
    );
  }
});
afterAll(async () => {
  await api?.close();
});

const inMinutes = (minutes: number) => new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutes * 60_000);

describe("scheduled actions through the SDK", () => {
  test("a one-time and a recurring action are stored, described by their next run, replaced and deleted", async () => {
    const { autoScaling } = api.clients();
    const start = inMinutes(30);
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: "sched-a",
        ScheduledActionName: "once",
        StartTime: start,
        DesiredCapacity: 3,
      }),
    );
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: "sched-a",
        ScheduledActionName: "mornings",
        Recurrence: "0 9 * * MON-FRI",
        TimeZone: "Europe/Paris",
        MinSize: 1,
        MaxSize: 4,
      }),
    );
    const { ScheduledUpdateGroupActions: actions } = await autoScaling.send(
      new DescribeScheduledActionsCommand({ AutoScalingGroupName: "sched-a" }),
    );
    expect(actions?.map((a) => a.ScheduledActionName)).toEqual(["mornings", "once"]);
    const [mornings, once] = actions ?? [];
    expect(once).toMatchObject({
      AutoScalingGroupName: "sched-a",
      ScheduledActionARN: expect.stringMatching(
        /^arn:aws:autoscaling:eu-west-1:\d{12}:scheduledUpdateGroupAction:[0-9a-f-]{36}:autoScalingGroupName\/sched-a:scheduledActionName\/once$/,
      ),
      StartTime: start,
      Time: start,
      DesiredCapacity: 3,
    });
    expect(once?.MinSize).toBeUndefined();
    expect(mornings).toMatchObject({
      Recurrence: "0 9 * * MON-FRI",
      TimeZone: "Europe/Paris",
      MinSize: 1,
      MaxSize: 4,
    });
    // The next run of a recurring action: 09:00 in Paris, on a weekday.
    const next = mornings?.StartTime ?? new Date(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Paris",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    }).format(next);
    expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);

    // Put again: replaced in place, same ARN.
    await autoScaling.send(
      new PutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: "sched-a",
        ScheduledActionName: "once",
        StartTime: start,
        DesiredCapacity: 2,
      }),
    );
    const again = await autoScaling.send(
      new DescribeScheduledActionsCommand({
        AutoScalingGroupName: "sched-a",
        ScheduledActionNames: ["once", "nope"],
      }),
    );
    expect(again.ScheduledUpdateGroupActions).toHaveLength(1);
    expect(again.ScheduledUpdateGroupActions?.[0]).toMatchObject({
      DesiredCapacity: 2,
      ScheduledActionARN: once?.ScheduledActionARN,
    });

    // The window of next runs: the one-time action is in 30 minutes, the recurrence later or sooner.
    const window = await autoScaling.send(
      new DescribeScheduledActionsCommand({
        AutoScalingGroupName: "sched-a",
        StartTime: new Date(start.getTime() - 1000),
        EndTime: new Date(start.getTime() + 1000),
      }),
    );
    expect(window.ScheduledUpdateGroupActions?.map((a) => a.ScheduledActionName)).toEqual(["once"]);

    await autoScaling.send(
      new DeleteScheduledActionCommand({ AutoScalingGroupName: "sched-a", ScheduledActionName: "once" }),
    );
    const gone = await failure(
      autoScaling.send(
        new DeleteScheduledActionCommand({ AutoScalingGroupName: "sched-a", ScheduledActionName: "once" }),
      ),
    );
    expect(gone.name).toBe("ValidationError");
  });

  test("AWS's validation", async () => {
    const { autoScaling } = api.clients();
    const put = (input: Partial<ConstructorParameters<typeof PutScheduledUpdateGroupActionCommand>[0]>) =>
      failure(
        autoScaling.send(
          new PutScheduledUpdateGroupActionCommand({
            AutoScalingGroupName: "sched-a",
            ScheduledActionName: "bad",
            ...input,
          }),
        ),
      );
    const cases: Array<[Parameters<typeof put>[0], RegExp]> = [
      [{ StartTime: inMinutes(5) }, /At least one of MinSize, MaxSize or DesiredCapacity/],
      [{ StartTime: new Date(Date.now() - 60_000), DesiredCapacity: 1 }, /start time is in the past/],
      [{ DesiredCapacity: 1 }, /StartTime .* or a Recurrence/],
      [{ Recurrence: "0 9 * *", DesiredCapacity: 1 }, /recurrence string '0 9 \* \*' is invalid/],
      [{ Recurrence: "0 25 * * *", DesiredCapacity: 1 }, /recurrence string/],
      [
        { Recurrence: "0 9 * * *", TimeZone: "Mars/Olympus", DesiredCapacity: 1 },
        /Invalid time zone 'Mars\/Olympus'/,
      ],
      [
        { StartTime: inMinutes(10), EndTime: inMinutes(5), Recurrence: "* * * * *", DesiredCapacity: 1 },
        /before the end time/,
      ],
      [
        { StartTime: inMinutes(5), MinSize: 3, MaxSize: 2 },
        /Max bound, 2, must be greater than or equal to min bound, 3/,
      ],
    ];
    for (const [input, message] of cases) {
      const error = await put(input);
      expect(error.name, JSON.stringify(input)).toBe("ValidationError");
      expect(error.message, JSON.stringify(input)).toMatch(message);
    }
    const missing = await failure(
      autoScaling.send(
        new PutScheduledUpdateGroupActionCommand({
          AutoScalingGroupName: "no-such-group",
          ScheduledActionName: "x",
          StartTime: inMinutes(5),
          DesiredCapacity: 1,
        }),
      ),
    );
    expect(missing.name).toBe("ValidationError");
    expect(missing.message).toMatch(/AutoScalingGroup name not found/);
  });

  test("batch put and delete answer per action, and describe pages", async () => {
    const { autoScaling } = api.clients();
    const result = await autoScaling.send(
      new BatchPutScheduledUpdateGroupActionCommand({
        AutoScalingGroupName: "sched-b",
        ScheduledUpdateGroupActions: [
          ...Array.from({ length: 7 }, (_, i) => ({
            ScheduledActionName: `step-${i}`,
            StartTime: inMinutes(10 + i),
            DesiredCapacity: i % 5,
          })),
          { ScheduledActionName: "step-1", StartTime: inMinutes(40), DesiredCapacity: 1 },
          { ScheduledActionName: "past", StartTime: new Date(Date.now() - 60_000), DesiredCapacity: 1 },
        ],
      }),
    );
    expect(result.FailedScheduledUpdateGroupActions).toEqual([
      { ScheduledActionName: "step-1", ErrorCode: "AlreadyExists", ErrorMessage: expect.any(String) },
      {
        ScheduledActionName: "past",
        ErrorCode: "ValidationError",
        ErrorMessage: "Given start time is in the past",
      },
    ]);
    const pages = await collect(
      paginateDescribeScheduledActions(
        { client: autoScaling, pageSize: 3 },
        { AutoScalingGroupName: "sched-b" },
      ),
      (page) => page.ScheduledUpdateGroupActions,
    );
    expect(pages.pages).toBe(3);
    expect(pages.items.map((a) => a.ScheduledActionName)).toEqual(
      Array.from({ length: 7 }, (_, i) => `step-${i}`),
    );

    const deleted = await autoScaling.send(
      new BatchDeleteScheduledActionCommand({
        AutoScalingGroupName: "sched-b",
        ScheduledActionNames: ["step-0", "step-1", "nope"],
      }),
    );
    expect(deleted.FailedScheduledActions).toEqual([
      {
        ScheduledActionName: "nope",
        ErrorCode: "ValidationError",
        ErrorMessage: expect.stringMatching(/not found/),
      },
    ]);
    const left = await autoScaling.send(
      new DescribeScheduledActionsCommand({ AutoScalingGroupName: "sched-b" }),
    );
    expect(left.ScheduledUpdateGroupActions).toHaveLength(5);
  });
});

describe("group metrics and the small describes through the SDK", () => {
  test("EnableMetricsCollection / DisableMetricsCollection show in DescribeAutoScalingGroups", async () => {
    const { autoScaling } = api.clients();
    const enabled = async () =>
      (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["sched-b"] })))
        .AutoScalingGroups?.[0]?.EnabledMetrics;
    expect(await enabled()).toEqual([]);
    await autoScaling.send(
      new EnableMetricsCollectionCommand({
        AutoScalingGroupName: "sched-b",
        Granularity: "1Minute",
        Metrics: ["GroupTotalInstances", "GroupDesiredCapacity"],
      }),
    );
    expect(await enabled()).toEqual([
      { Metric: "GroupDesiredCapacity", Granularity: "1Minute" },
      { Metric: "GroupTotalInstances", Granularity: "1Minute" },
    ]);
    // No list: every metric.
    await autoScaling.send(
      new EnableMetricsCollectionCommand({ AutoScalingGroupName: "sched-b", Granularity: "1Minute" }),
    );
    expect(await enabled()).toHaveLength(21);
    await autoScaling.send(
      new DisableMetricsCollectionCommand({
        AutoScalingGroupName: "sched-b",
        Metrics: ["GroupTotalInstances"],
      }),
    );
    expect((await enabled())?.map((m) => m.Metric)).not.toContain("GroupTotalInstances");
    await autoScaling.send(new DisableMetricsCollectionCommand({ AutoScalingGroupName: "sched-b" }));
    expect(await enabled()).toEqual([]);

    const badGranularity = await failure(
      autoScaling.send(
        new EnableMetricsCollectionCommand({ AutoScalingGroupName: "sched-b", Granularity: "5Minute" }),
      ),
    );
    expect(badGranularity.name).toBe("ValidationError");
    expect(badGranularity.message).toMatch(/1Minute/);
    const badMetric = await failure(
      autoScaling.send(
        new EnableMetricsCollectionCommand({
          AutoScalingGroupName: "sched-b",
          Granularity: "1Minute",
          Metrics: ["CPU"],
        }),
      ),
    );
    expect(badMetric.message).toMatch(/Invalid metrics: CPU/);
  });

  test("DescribeMetricCollectionTypes, DescribeAdjustmentTypes and DescribeTerminationPolicyTypes", async () => {
    const { autoScaling } = api.clients();
    const types = await autoScaling.send(new DescribeMetricCollectionTypesCommand({}));
    expect(types.Granularities).toEqual([{ Granularity: "1Minute" }]);
    expect(types.Metrics?.map((m) => m.Metric)).toEqual(
      expect.arrayContaining(["GroupDesiredCapacity", "GroupInServiceInstances", "WarmPoolWarmedCapacity"]),
    );
    const adjustments = await autoScaling.send(new DescribeAdjustmentTypesCommand({}));
    expect(adjustments.AdjustmentTypes).toEqual([
      { AdjustmentType: "ChangeInCapacity" },
      { AdjustmentType: "ExactCapacity" },
      { AdjustmentType: "PercentChangeInCapacity" },
    ]);
    const policies = await autoScaling.send(new DescribeTerminationPolicyTypesCommand({}));
    expect(policies.TerminationPolicyTypes).toEqual([
      "AllocationStrategy",
      "ClosestToNextInstanceHour",
      "Default",
      "NewestInstance",
      "OldestInstance",
      "OldestLaunchConfiguration",
      "OldestLaunchTemplate",
    ]);
  });
});
