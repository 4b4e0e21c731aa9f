import { CreateAutoScalingGroupCommand, DescribeTagsCommand } from "@aws-sdk/client-auto-scaling";
import { DeleteAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLaunchTemplatesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

/*
 * Tags are written and deleted by the services, with their resource, so both doors do it alike. Before,
 * only the AWS door's DeleteAlarms removed an alarm's tags (an alarm re-created after `DELETE
 * /v1/alarms/{name}` inherited them), only the AWS door could tag a launch template or mark a group tag
 * PropagateAtLaunch, and a deleted group left its PropagateAtLaunch flags for the next group of its name.
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

async function rest(method: "POST" | "DELETE", url: string, payload?: Record<string, unknown>) {
  const response = await api.app.inject(payload === undefined ? { method, url } : { method, url, payload });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response;
}

describe("launch template and group tags through both doors", () => {
  test("a launch template created by REST with tags shows them over EC2; its deletion removes them", async () => {
    const created = await rest("POST", "/v1/launch-templates", {
      launchTemplateName: "tagged",
      command: ["node", "server.js"],
      tags: [{ key: "team", value: "shop" }],
    });
    const id = (created.json() as { launchTemplateId: string }).launchTemplateId;
    const described = await api
      .clients()
      .ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ["tagged"] }));
    expect(described.LaunchTemplates?.[0]?.Tags).toEqual([{ Key: "team", Value: "shop" }]);
    await rest("DELETE", "/v1/launch-templates/tagged");
    expect(api.services.tagging.resources.get([id]).get(id)).toEqual([]);
  });

  test("PropagateAtLaunch set by REST reads over the AWS door; a re-created group does not inherit it", async () => {
    await rest("POST", "/v1/launch-templates", { launchTemplateName: "web", command: ["node", "server.js"] });
    const group = {
      autoScalingGroupName: "web",
      launchTemplate: { launchTemplateName: "web" },
      minSize: 0,
      maxSize: 1,
    };
    await rest("POST", "/v1/auto-scaling-groups", {
      ...group,
      tags: [{ key: "env", value: "staging", propagateAtLaunch: true }],
    });
    const autoScaling = api.clients().autoScaling;
    const tagsOfWeb = async () =>
      (
        await autoScaling.send(
          new DescribeTagsCommand({ Filters: [{ Name: "auto-scaling-group", Values: ["web"] }] }),
        )
      ).Tags;
    expect(await tagsOfWeb()).toMatchObject([{ Key: "env", Value: "staging", PropagateAtLaunch: true }]);
    // The REST view carries the same tags (the AWS door's DescribeAutoScalingGroups added them alone).
    const view = await api.app.inject({ method: "GET", url: "/v1/auto-scaling-groups/web" });
    expect(view.json()).toMatchObject({
      tags: [{ resourceId: "web", key: "env", value: "staging", propagateAtLaunch: true }],
      trafficSources: [],
    });
    await rest("DELETE", "/v1/auto-scaling-groups/web");
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "web",
        LaunchTemplate: { LaunchTemplateName: "web" },
        MinSize: 0,
        MaxSize: 1,
        Tags: [{ Key: "env", Value: "staging" }],
      }),
    );
    expect(await tagsOfWeb()).toMatchObject([{ Key: "env", Value: "staging", PropagateAtLaunch: false }]);
  });
});
