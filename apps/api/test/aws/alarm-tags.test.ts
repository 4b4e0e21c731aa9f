import { DeleteAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

/*
 * An alarm's tags live in the alarm service, so both doors create and delete them alike: before, only
 * the AWS door's DeleteAlarms removed them, and an alarm re-created after `DELETE /v1/alarms/{name}`
 * inherited the old alarm's tags.
 */

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi();
});
afterAll(async () => {
  await api?.close();
});

const settings = {
  namespace: "Shop",
  metricName: "Latency",
  statistic: "Average",
  period: 60,
  evaluationPeriods: 1,
  threshold: 1,
  comparisonOperator: "GreaterThanThreshold",
};

const awsPut = (name: string, tags?: Array<{ Key: string; Value: string }>) =>
  api.clients().cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: settings.namespace,
      MetricName: settings.metricName,
      Statistic: "Average",
      Period: settings.period,
      EvaluationPeriods: settings.evaluationPeriods,
      Threshold: settings.threshold,
      ComparisonOperator: "GreaterThanThreshold",
      ...(tags && { Tags: tags }),
    }),
  );

async function restPut(name: string, tags?: Array<{ key: string; value: string }>): Promise<string> {
  const response = await api.app.inject({
    method: "PUT",
    url: `/v1/alarms/${name}`,
    payload: { ...settings, ...(tags && { tags }) },
  });
  expect(response.statusCode).toBeLessThan(300);
  return (response.json() as { alarmArn: string }).alarmArn;
}

const tagsOf = (name: string) => {
  const arn = api.services.alarms.get(name).alarmArn;
  return api.services.tagging.resources.get([arn]).get(arn);
};

describe("alarm tags through both doors", () => {
  test("created by the AWS door, deleted by REST: the re-created alarm has no tags", async () => {
    await awsPut("aws-then-rest", [{ Key: "team", Value: "shop" }]);
    expect(tagsOf("aws-then-rest")).toEqual([{ key: "team", value: "shop" }]);
    const deleted = await api.app.inject({ method: "DELETE", url: "/v1/alarms/aws-then-rest" });
    expect(deleted.statusCode).toBe(204);
    await restPut("aws-then-rest");
    expect(tagsOf("aws-then-rest")).toEqual([]);
  });

  test("created by REST with tags, deleted by the AWS door: the re-created alarm has no tags", async () => {
    await restPut("rest-then-aws", [{ key: "team", value: "shop" }]);
    expect(tagsOf("rest-then-aws")).toEqual([{ key: "team", value: "shop" }]);
    await api.clients().cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: ["rest-then-aws"] }));
    await awsPut("rest-then-aws");
    expect(tagsOf("rest-then-aws")).toEqual([]);
  });

  test("duplicate tag keys are refused before the alarm is written, by either door", async () => {
    const response = await api.app.inject({
      method: "PUT",
      url: "/v1/alarms/duplicates",
      payload: {
        ...settings,
        tags: [
          { key: "a", value: "1" },
          { key: "a", value: "2" },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "DuplicateTagKeys" });
    expect(() => api.services.alarms.get("duplicates")).toThrow(/does not exist/);
  });
});
