import { describe, expect } from "vitest";
import { expectError, expectStatus, type TestApp, apiTest as test } from "./helpers.ts";

const service = [{ name: "Service", value: "api" }];

/** A whole minute ten minutes ago, in Unix seconds: inside CloudWatch's window, aligned for 60 s periods. */
const baseSecond = () => Math.floor(Date.now() / 60_000) * 60 - 600;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

async function put(api: TestApp, metricData: unknown[], namespace = "App") {
  const reply = await api.request("POST", "/v1/metrics", { namespace, metricData });
  expectStatus(reply, 200);
  expect(reply.body).toEqual({});
}

describe("metrics", () => {
  test("PutMetricData takes value, values with counts and statistic sets; the AWS/ namespace is reserved", async ({
    api,
  }) => {
    await put(api, [{ metricName: "Latency", dimensions: service, value: 12, unit: "Milliseconds" }]);
    await put(api, [{ metricName: "Latency", dimensions: service, values: [1, 2, 3], counts: [1, 1, 2] }]);
    await put(api, [
      {
        metricName: "Latency",
        dimensions: service,
        statisticValues: { sampleCount: 4, sum: 40, minimum: 5, maximum: 15 },
      },
    ]);
    // Metric data is not configuration: nothing is announced.
    expect(api.events.versions).toEqual([]);

    const reserved = await api.request("POST", "/v1/metrics", {
      namespace: "AWS/EC2",
      metricData: [{ metricName: "CPUUtilization", value: 1 }],
    });
    expectError(reserved, 400, "InvalidParameterValue", /AWS\//);
    const both = await api.request("POST", "/v1/metrics", {
      namespace: "App",
      metricData: [{ metricName: "X", value: 1, values: [1] }],
    });
    expectError(both, 400, "InvalidParameterCombination");
    for (const bad of [
      { namespace: "App", metricData: [] },
      { namespace: "App", metricData: [{ metricName: "X" }] },
      { namespace: "App", metricData: [{ metricName: "X", values: [1, 2], counts: [1] }] },
      { namespace: "App", metricData: [{ metricName: "X", value: 1, unit: "Parsecs" }] },
      { namespace: "App", metricData: [{ metricName: "X", value: 1, timestamp: "2001-01-01T00:00:00Z" }] },
      {
        namespace: "App",
        metricData: [
          { metricName: "X", statisticValues: { sampleCount: 1, sum: 1, minimum: 2, maximum: 1 } },
        ],
      },
      { namespace: "App", metricData: [{ metricName: "X", value: 1, dimensions: [{ name: "A" }] }] },
      { namespace: "", metricData: [{ metricName: "X", value: 1 }] },
      { metricData: [{ metricName: "X", value: 1 }] },
    ]) {
      const reply = await api.request("POST", "/v1/metrics", bad);
      expect(reply.status, JSON.stringify(reply.body)).toBe(400);
      expect([
        "ValidationError",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "MissingParameter",
      ]).toContain(reply.body.code);
    }
    expectError(
      await api.request(
        "POST",
        "/v1/metrics",
        { namespace: "App", metricData: [{ metricName: "X", value: 1 }] },
        {
          "content-type": "application/xml",
        },
      ),
      415,
      "UnsupportedMediaType",
    );
  });

  test("ListMetrics filters by namespace, name and repeatable dimension=Name=Value", async ({ api }) => {
    await put(api, [
      { metricName: "Latency", dimensions: service, value: 1 },
      { metricName: "Latency", dimensions: [{ name: "Service", value: "web" }], value: 1 },
      {
        metricName: "Latency",
        dimensions: [
          { name: "Service", value: "api" },
          { name: "Region", value: "local" },
        ],
        value: 1,
      },
      { metricName: "Errors", dimensions: service, value: 1 },
    ]);
    await put(api, [{ metricName: "Depth", value: 1 }], "Queue");
    const list = async (query: string) => {
      const reply = await api.request("GET", `/v1/metrics${query}`);
      expectStatus(reply, 200);
      return reply.body.metrics as Array<{ namespace: string; metricName: string; dimensions: unknown[] }>;
    };
    expect(await list("")).toHaveLength(5);
    expect(await list("?namespace=Queue")).toEqual([
      { namespace: "Queue", metricName: "Depth", dimensions: [] },
    ]);
    expect(await list("?namespace=App&metricName=Latency")).toHaveLength(3);
    const api1 = await list("?namespace=App&dimension=Service=api");
    expect(api1.map((m) => m.metricName).sort()).toEqual(["Errors", "Latency", "Latency"]);
    const both = await list("?dimension=Service=api&dimension=Region=local");
    expect(both).toEqual([
      {
        namespace: "App",
        metricName: "Latency",
        dimensions: expect.arrayContaining([
          { name: "Service", value: "api" },
          { name: "Region", value: "local" },
        ]),
      },
    ]);
    // A bare name matches any value.
    expect(await list("?metricName=Latency&dimension=Service")).toHaveLength(3);
    expect(await list("?dimension=Service=nope")).toEqual([]);
    const page = await api.request("GET", "/v1/metrics?pageSize=2");
    expect(page.body.metrics).toHaveLength(2);
    expect(page.body.nextToken).toBeDefined();
    const rest = await api.request(
      "GET",
      `/v1/metrics?pageSize=10&nextToken=${encodeURIComponent(page.body.nextToken)}`,
    );
    expect(rest.body.metrics).toHaveLength(3);
    expectError(await api.request("GET", "/v1/metrics?recentlyActive=PT1H"), 400, "ValidationError");
  });

  test("GetMetricStatistics merges writes of one second and aggregates seconds into periods", async ({
    api,
  }) => {
    const t = baseSecond();
    // Second t: two single values written separately, then values with counts.
    await put(api, [
      { metricName: "Latency", dimensions: service, timestamp: iso(t), value: 10, unit: "Milliseconds" },
    ]);
    await put(api, [
      { metricName: "Latency", dimensions: service, timestamp: t, value: 20, unit: "Milliseconds" },
    ]);
    await put(api, [
      { metricName: "Latency", dimensions: service, timestamp: iso(t), values: [1, 2, 3], counts: [1, 1, 2] },
    ]);
    // Second t+1: a statistic set. Second t+70: the next minute.
    await put(api, [
      {
        metricName: "Latency",
        dimensions: service,
        timestamp: iso(t + 1),
        statisticValues: { sampleCount: 4, sum: 40, minimum: 5, maximum: 15 },
      },
      { metricName: "Latency", dimensions: service, timestamp: iso(t + 70), value: 100 },
    ]);
    // Another dimension set is another metric.
    await put(api, [
      {
        metricName: "Latency",
        dimensions: [{ name: "Service", value: "web" }],
        timestamp: iso(t),
        value: 999,
      },
    ]);

    const query = (extra: string) =>
      api.request(
        "GET",
        `/v1/metrics/statistics?namespace=App&metricName=Latency&dimension=Service=api&startTime=${iso(t)}&endTime=${iso(t + 120)}${extra}`,
      );
    const minutes = await query("&period=60&statistics=Average,Sum,Minimum,Maximum,SampleCount");
    expectStatus(minutes, 200);
    expect(minutes.body).toEqual({
      label: "Latency",
      datapoints: [
        {
          timestamp: iso(t),
          sampleCount: 10,
          sum: 79,
          average: 7.9,
          minimum: 1,
          maximum: 20,
          unit: "Milliseconds",
        },
        {
          timestamp: iso(t + 60),
          sampleCount: 1,
          sum: 100,
          average: 100,
          minimum: 100,
          maximum: 100,
          unit: "Milliseconds",
        },
      ],
    });

    // One-second periods show each second's merged set; statistics may repeat instead of comma-separate.
    const seconds = await query("&period=1&statistics=Sum&statistics=SampleCount");
    expectStatus(seconds, 200);
    expect(seconds.body.datapoints).toEqual([
      { timestamp: iso(t), sum: 39, sampleCount: 6, unit: "Milliseconds" },
      { timestamp: iso(t + 1), sum: 40, sampleCount: 4, unit: "Milliseconds" },
      { timestamp: iso(t + 70), sum: 100, sampleCount: 1, unit: "Milliseconds" },
    ]);

    // Periods start at startTime: a window from t+30 puts t+70 into its first minute.
    const shifted = await api.request(
      "GET",
      `/v1/metrics/statistics?namespace=App&metricName=Latency&dimension=Service=api&startTime=${iso(t + 30)}&endTime=${iso(t + 90)}&period=60&statistics=Maximum`,
    );
    expect(shifted.body.datapoints).toEqual([{ timestamp: iso(t + 30), maximum: 100, unit: "Milliseconds" }]);

    // The unit filter: a different unit answers nothing.
    const otherUnit = await query("&period=60&statistics=Sum&unit=Seconds");
    expect(otherUnit.body.datapoints).toEqual([]);
    // An unknown metric answers no datapoints, not an error.
    const unknown = await api.request(
      "GET",
      `/v1/metrics/statistics?namespace=App&metricName=Nope&startTime=${iso(t)}&endTime=${iso(t + 60)}&period=60&statistics=Sum`,
    );
    expectStatus(unknown, 200);
    expect(unknown.body).toEqual({ label: "Nope", datapoints: [] });
  });

  test("GetMetricStatistics refuses more than 1,440 datapoints and other bad queries", async ({ api }) => {
    const t = baseSecond();
    const url = (extra: string) => `/v1/metrics/statistics?namespace=App&metricName=Latency${extra}`;
    const tooMany = await api.request(
      "GET",
      url(`&startTime=${iso(t - 2 * 86400)}&endTime=${iso(t)}&period=60&statistics=Average`),
    );
    expectError(tooMany, 400, "InvalidParameterCombination", /1,440/);
    expectStatus(
      await api.request(
        "GET",
        url(`&startTime=${iso(t - 86400)}&endTime=${iso(t)}&period=60&statistics=Average`),
      ),
      200,
    );
    const window = `&startTime=${iso(t)}&endTime=${iso(t + 60)}`;
    expectError(await api.request("GET", url(`${window}&period=45&statistics=Sum`)), 400, "ValidationError");
    expectError(
      await api.request("GET", url(`${window}&period=60&statistics=Median`)),
      400,
      "ValidationError",
    );
    expectError(await api.request("GET", url(`${window}&period=60`)), 400, "ValidationError");
    expectError(
      await api.request("GET", url(`&startTime=${iso(t + 60)}&endTime=${iso(t)}&period=60&statistics=Sum`)),
      400,
      "InvalidParameterValue",
    );
    expectError(
      await api.request("GET", url(`&startTime=yesterday&endTime=${iso(t)}&period=60&statistics=Sum`)),
      400,
      "InvalidParameterValue",
    );
    expectError(
      await api.request("GET", url(`${window}&period=60&statistics=Sum&dimension=Service`)),
      400,
      "ValidationError",
    );
    expectError(await api.request("GET", url(`${window}&statistics=Sum`)), 400, "ValidationError");
  });
});
