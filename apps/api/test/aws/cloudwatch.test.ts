import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import {
  CloudWatchClient,
  type CloudWatchClientConfig,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms,
  paginateGetMetricData,
  paginateListMetrics,
  SetAlarmStateCommand,
  type StateValue,
} from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, collect, failure, startAwsApi } from "./helpers.ts";

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

/**
 * The installed client speaks awsJson1_0 (with awsQueryCompatible errors); older SDKs, CLIs and boto3 speak
 * the query protocol. The same client with the SDK's own AwsQueryProtocol stands in for them.
 */
function queryProtocolClient(): CloudWatchClient {
  const require = createRequire(import.meta.url);
  const fromClient = createRequire(realpathSync(require.resolve("@aws-sdk/client-cloudwatch")));
  const { AwsQueryProtocol } = fromClient("@aws-sdk/core/protocols") as {
    AwsQueryProtocol: NonNullable<CloudWatchClientConfig["protocol"]>;
  };
  return new CloudWatchClient({
    endpoint: api.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    protocol: AwsQueryProtocol,
  });
}

const alarm = (name: string, extra: Partial<ConstructorParameters<typeof PutMetricAlarmCommand>[0]> = {}) =>
  new PutMetricAlarmCommand({
    AlarmName: name,
    Namespace: "Shop",
    MetricName: "Latency",
    Dimensions: [{ Name: "Service", Value: "checkout" }],
    Statistic: "Average",
    Period: 60,
    EvaluationPeriods: 2,
    Threshold: 250,
    ComparisonOperator: "GreaterThanThreshold",
    ...extra,
  });

describe.each([
  ["JSON 1.0 (the installed SDK)", "json"],
  ["the query protocol", "query"],
] as const)("CloudWatch alarms and metrics over %s", (_title, protocol) => {
  const client = () => (protocol === "json" ? api.clients().cloudWatch : queryProtocolClient());
  const prefix = `${protocol}-`;

  test("alarms: put, describe, for metric, state, history, actions, delete and errors", async () => {
    const cloudWatch = client();
    await cloudWatch.send(
      alarm(`${prefix}latency`, {
        AlarmDescription: "checkout is slow",
        OKActions: [],
        Tags: [{ Key: "team", Value: "shop" }],
      }),
    );
    const described = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [`${prefix}latency`] }));
    expect(described.CompositeAlarms).toEqual([]);
    expect(described.MetricAlarms?.[0]).toMatchObject({
      AlarmName: `${prefix}latency`,
      AlarmArn: `arn:aws:cloudwatch:eu-west-1:000000000000:alarm:${prefix}latency`,
      AlarmDescription: "checkout is slow",
      ActionsEnabled: true,
      OKActions: [],
      StateValue: "INSUFFICIENT_DATA",
      Namespace: "Shop",
      MetricName: "Latency",
      Dimensions: [{ Name: "Service", Value: "checkout" }],
      Statistic: "Average",
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 250,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "missing",
    });
    expect(described.MetricAlarms?.[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);

    const forMetric = await cloudWatch.send(
      new DescribeAlarmsForMetricCommand({
        Namespace: "Shop",
        MetricName: "Latency",
        Dimensions: [{ Name: "Service", Value: "checkout" }],
      }),
    );
    expect(forMetric.MetricAlarms?.map((a) => a.AlarmName)).toContain(`${prefix}latency`);

    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: `${prefix}latency`,
        StateValue: "ALARM",
        StateReason: "testing",
        StateReasonData: JSON.stringify({ by: "test" }),
      }),
    );
    await cloudWatch.send(new DisableAlarmActionsCommand({ AlarmNames: [`${prefix}latency`] }));
    const disabled = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [`${prefix}latency`] }));
    expect(disabled.MetricAlarms?.[0]).toMatchObject({
      StateValue: "ALARM",
      StateReason: "testing",
      ActionsEnabled: false,
    });
    await cloudWatch.send(new EnableAlarmActionsCommand({ AlarmNames: [`${prefix}latency`] }));
    await cloudWatch.send(alarm(`${prefix}latency`, { Threshold: 300 }));
    await cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: `${prefix}latency`, StateValue: "OK", StateReason: "recovered" }),
    );
    const inAlarm = await cloudWatch.send(
      new DescribeAlarmsCommand({ StateValue: "OK", AlarmNamePrefix: prefix }),
    );
    expect(inAlarm.MetricAlarms?.map((a) => [a.AlarmName, a.Threshold, a.ActionsEnabled])).toEqual([
      [`${prefix}latency`, 300, true],
    ]);

    const history = await collect(
      paginateDescribeAlarmHistory(
        { client: cloudWatch, pageSize: 1 },
        { AlarmName: `${prefix}latency`, ScanBy: "TimestampAscending" },
      ),
      (page) => page.AlarmHistoryItems,
    );
    expect(history.items.map((h) => [h.HistoryItemType, h.HistorySummary])).toEqual([
      ["ConfigurationUpdate", `Alarm "${prefix}latency" created`],
      ["StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"],
      ["ConfigurationUpdate", `Alarm "${prefix}latency" updated`],
      ["StateUpdate", "Alarm updated from ALARM to OK"],
    ]);
    expect(history.pages).toBe(4);
    expect(history.items[0]?.Timestamp).toBeInstanceOf(Date);
    const stateOnly = await cloudWatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: `${prefix}latency`, HistoryItemType: "StateUpdate" }),
    );
    expect(stateOnly.AlarmHistoryItems).toHaveLength(2);

    for (let i = 0; i < 4; i++) await cloudWatch.send(alarm(`${prefix}page-${i}`));
    const paged = await collect(
      paginateDescribeAlarms({ client: cloudWatch, pageSize: 2 }, { AlarmNamePrefix: `${prefix}page-` }),
      (page) => page.MetricAlarms,
    );
    expect(paged.items.map((a) => a.AlarmName)).toEqual([0, 1, 2, 3].map((i) => `${prefix}page-${i}`));
    expect(paged.pages).toBe(2);

    // Errors, as the SDK names them.
    const notFound = await failure(
      cloudWatch.send(
        new SetAlarmStateCommand({ AlarmName: `${prefix}nope`, StateValue: "OK", StateReason: "x" }),
      ),
    );
    expect(notFound.name).toBe("ResourceNotFound");
    expect(notFound.$metadata).toMatchObject({ httpStatusCode: 404 });
    const missing = await failure(cloudWatch.send(alarm(`${prefix}x`, { Namespace: undefined })));
    expect(missing.name).toBe("MissingRequiredParameterException");
    const math = await failure(
      cloudWatch.send(
        alarm(`${prefix}math`, {
          MetricName: undefined,
          Namespace: undefined,
          Statistic: undefined,
          Period: undefined,
          Metrics: [{ Id: "e1", Expression: "m1 * 2" }],
        }),
      ),
    );
    expect(math.name).toBe("InvalidParameterValueException");
    expect(math.message).toMatch(/Metric math/);
    const badState = await failure(
      cloudWatch.send(
        new SetAlarmStateCommand({
          AlarmName: `${prefix}latency`,
          // Not a state: what a client without the SDK's types might send.
          StateValue: "BROKEN" as StateValue,
          StateReason: "x",
        }),
      ),
    );
    expect(badState.name).toBe("ValidationException");

    await cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [`${prefix}latency`] }));
    const deleteAgain = await failure(
      cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [`${prefix}latency`] })),
    );
    expect(deleteAgain.name).toBe("ResourceNotFound");
  });

  test("metrics: PutMetricData, GetMetricStatistics, GetMetricData and ListMetrics with their paginators", async () => {
    const cloudWatch = client();
    const namespace = `Shop/${protocol}`;
    const now = Math.floor(Date.now() / 1000);
    const start = now - 120;
    // Ten values, one per second, and a statistic set in the last of them.
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          ...Array.from({ length: 10 }, (_, i) => ({
            MetricName: "Requests",
            Dimensions: [{ Name: "Service", Value: "checkout" }],
            Timestamp: new Date((start + 10 + i) * 1000),
            Value: i + 1,
            Unit: "Count" as const,
          })),
          {
            MetricName: "Requests",
            Dimensions: [{ Name: "Service", Value: "checkout" }],
            Timestamp: new Date((start + 19) * 1000),
            StatisticValues: { SampleCount: 2, Sum: 30, Minimum: 10, Maximum: 20 },
            Unit: "Count" as const,
          },
        ],
      }),
    );
    const statistics = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: "Requests",
        Dimensions: [{ Name: "Service", Value: "checkout" }],
        StartTime: new Date(start * 1000),
        EndTime: new Date((start + 60) * 1000),
        Period: 60,
        Statistics: ["Sum", "SampleCount", "Maximum", "Minimum", "Average"],
      }),
    );
    expect(statistics.Label).toBe("Requests");
    expect(statistics.Datapoints).toEqual([
      {
        Timestamp: new Date(start * 1000),
        Sum: 85,
        SampleCount: 12,
        Maximum: 20,
        Minimum: 1,
        Average: 85 / 12,
        Unit: "Count",
      },
    ]);

    const queries = [
      {
        Id: "requests",
        MetricStat: {
          Metric: {
            Namespace: namespace,
            MetricName: "Requests",
            Dimensions: [{ Name: "Service", Value: "checkout" }],
          },
          Period: 1,
          Stat: "Sum",
        },
      },
      {
        Id: "peak",
        Label: "peak per 5 s",
        MetricStat: {
          Metric: {
            Namespace: namespace,
            MetricName: "Requests",
            Dimensions: [{ Name: "Service", Value: "checkout" }],
          },
          Period: 5,
          Stat: "Maximum",
        },
      },
    ];
    const data = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(start * 1000),
        EndTime: new Date((start + 60) * 1000),
        ScanBy: "TimestampAscending",
      }),
    );
    expect(data.MetricDataResults?.map((r) => [r.Id, r.Label, r.StatusCode, r.Values])).toEqual([
      ["requests", "Requests", "Complete", [1, 2, 3, 4, 5, 6, 7, 8, 9, 40]],
      ["peak", "peak per 5 s", "Complete", [5, 20]],
    ]);
    expect(data.MetricDataResults?.[1]?.Timestamps).toEqual([
      new Date((start + 10) * 1000),
      new Date((start + 15) * 1000),
    ]);
    const pages = await collect(
      paginateGetMetricData(
        { client: cloudWatch, pageSize: 4 },
        {
          MetricDataQueries: queries,
          StartTime: new Date(start * 1000),
          EndTime: new Date((start + 60) * 1000),
        },
      ),
      (page) => page.MetricDataResults,
    );
    // Newest first by default; a series cut by the page size continues on the next page.
    expect(pages.items.filter((r) => r.Id === "requests").flatMap((r) => r.Values)).toEqual([
      40, 9, 8, 7, 6, 5, 4, 3, 2, 1,
    ]);
    expect(pages.items.filter((r) => r.Id === "peak").flatMap((r) => r.Values)).toEqual([20, 5]);
    expect(pages.pages).toBe(3);
    const expression = await failure(
      cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: [{ Id: "e1", Expression: "SUM(METRICS())" }],
          StartTime: new Date(start * 1000),
          EndTime: new Date((start + 60) * 1000),
        }),
      ),
    );
    expect(expression.name).toBe("ValidationException");
    expect(expression.message).toMatch(/Metric math/);

    // More metrics than a page holds.
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: `${namespace}/Many`,
        MetricData: Array.from({ length: 450 }, (_, i) => ({ MetricName: `m${i}`, Value: i })),
      }),
    );
    const metrics = await collect(
      paginateListMetrics({ client: cloudWatch }, { Namespace: `${namespace}/Many` }),
      (page) => page.Metrics,
    );
    expect(metrics.items).toHaveLength(450);
    expect(metrics.pages).toBe(2);
    const filtered = await cloudWatch.send(
      new ListMetricsCommand({ Namespace: namespace, Dimensions: [{ Name: "Service" }] }),
    );
    expect(filtered.Metrics).toEqual([
      { Namespace: namespace, MetricName: "Requests", Dimensions: [{ Name: "Service", Value: "checkout" }] },
    ]);

    const reserved = await failure(
      cloudWatch.send(
        new PutMetricDataCommand({ Namespace: "AWS/EC2", MetricData: [{ MetricName: "x", Value: 1 }] }),
      ),
    );
    expect(reserved.name).toBe("InvalidParameterValueException");
    const tooMany = await failure(
      cloudWatch.send(
        new GetMetricStatisticsCommand({
          Namespace: namespace,
          MetricName: "Requests",
          StartTime: new Date((now - 86_400) * 1000),
          EndTime: new Date(now * 1000),
          Period: 1,
          Statistics: ["Sum"],
        }),
      ),
    );
    expect(tooMany.name).toBe("InvalidParameterCombinationException");
  });
});
