import { describe, expect } from "vitest";
import {
  expectError,
  expectStatus,
  issueAlarm,
  seedGroup,
  type TestApp,
  apiTest as test,
} from "./helpers.ts";

/** The group "app" with a simple scale-out policy; answers the policy's ARN. */
async function policyArn(api: TestApp): Promise<string> {
  await seedGroup(api);
  const policy = await api.request("POST", "/v1/auto-scaling-groups/app/policies", {
    policyName: "up",
    adjustmentType: "ChangeInCapacity",
    scalingAdjustment: 1,
  });
  expectStatus(policy, 201);
  return policy.body.policyARN;
}

describe("alarms", () => {
  test("the issue's alarm is created in INSUFFICIENT_DATA with CloudWatch's defaults", async ({ api }) => {
    const arn = await policyArn(api);
    const versions = api.events.versions.length;
    const created = await api.request("PUT", "/v1/alarms/high-cpu", issueAlarm(arn));
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      alarmName: "high-cpu",
      alarmArn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu",
      actionsEnabled: true,
      alarmActions: [arn],
      okActions: [],
      insufficientDataActions: [],
      stateValue: "INSUFFICIENT_DATA",
      stateReason: "Unchecked: Initial alarm creation",
      namespace: "AWS/EC2",
      metricName: "CPUUtilization",
      dimensions: [{ name: "AutoScalingGroupName", value: "app" }],
      statistic: "Average",
      period: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 80,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "missing",
    });
    expect(api.events.versions.length).toBe(versions + 1);
    const got = await api.request("GET", "/v1/alarms/high-cpu");
    expect(got.body).toEqual(created.body);
    // The policy now lists the alarm that names it.
    const policy = await api.request("GET", "/v1/auto-scaling-groups/app/policies/up");
    expect(policy.body.alarms).toEqual([{ alarmName: "high-cpu", alarmARN: created.body.alarmArn }]);
  });

  test("PUT again updates the configuration, answers 200 and keeps the state", async ({ api }) => {
    const arn = await policyArn(api);
    await api.request("PUT", "/v1/alarms/high-cpu", issueAlarm(arn));
    await api.request("PUT", "/v1/alarms/high-cpu/state", { stateValue: "ALARM", stateReason: "test" });
    const updated = await api.request("PUT", "/v1/alarms/high-cpu", { ...issueAlarm(arn), threshold: 90 });
    expectStatus(updated, 200);
    expect(updated.body).toMatchObject({ threshold: 90, stateValue: "ALARM", stateReason: "test" });

    const history = await api.request(
      "GET",
      "/v1/alarms/high-cpu/history?historyItemType=ConfigurationUpdate",
    );
    expectStatus(history, 200);
    expect(history.body.alarmHistoryItems.map((i: { historySummary: string }) => i.historySummary)).toEqual([
      'Alarm "high-cpu" updated',
      'Alarm "high-cpu" created',
    ]);
    for (const item of history.body.alarmHistoryItems) {
      expect(item).toMatchObject({
        alarmName: "high-cpu",
        alarmType: "MetricAlarm",
        historyItemType: "ConfigurationUpdate",
      });
      expect(() => JSON.parse(item.historyData)).not.toThrow();
    }
    const ascending = await api.request(
      "GET",
      "/v1/alarms/high-cpu/history?scanBy=TimestampAscending&pageSize=1",
    );
    expect(ascending.body.alarmHistoryItems).toHaveLength(1);
    expect(ascending.body.nextToken).toBeDefined();
    expect(ascending.body.alarmHistoryItems[0].historySummary).toBe('Alarm "high-cpu" created');
  });

  test("periods CloudWatch refuses are ValidationError unless fast mode is on", async ({ api, fastApi }) => {
    const body = { ...issueAlarm("arn:aws:sns:us-east-1:000000000000:topic"), period: 45 };
    expectError(await api.request("PUT", "/v1/alarms/odd", body), 400, "ValidationError");
    expectError(await api.request("PUT", "/v1/alarms/odd", { ...body, period: 5 }), 400, "ValidationError");
    expectStatus(await api.request("PUT", "/v1/alarms/odd", { ...body, period: 10 }), 201);
    expectStatus(await api.request("PUT", "/v1/alarms/odd2", { ...body, period: 120 }), 201);
    expectStatus(await fastApi.request("PUT", "/v1/alarms/odd", body), 201);
    expectStatus(await fastApi.request("PUT", "/v1/alarms/one", { ...body, period: 1 }), 201);
  });

  test("other invalid alarms answer CloudWatch's codes", async ({ api }) => {
    const base = issueAlarm("arn:aws:sns:us-east-1:000000000000:topic");
    const put = (body: Record<string, unknown>) => api.request("PUT", "/v1/alarms/bad", body);
    for (const extra of [
      { statistic: "Median" },
      { comparisonOperator: "EqualToThreshold" },
      { evaluationPeriods: 0 },
      { evaluationPeriods: 2, datapointsToAlarm: 3 },
      { period: 3600, evaluationPeriods: 169 },
      { period: 60, evaluationPeriods: 1441 },
      { treatMissingData: "maybe" },
      { alarmActions: ["not-an-arn"] },
      { alarmActions: ["arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x"] },
      { unit: "Parsecs" },
      { extendedStatistic: "p99" },
      {
        dimensions: [
          { name: "A", value: "1" },
          { name: "A", value: "2" },
        ],
      },
      { colour: "red" },
    ]) {
      expectError(await put({ ...base, ...extra }), 400, "ValidationError");
    }
    for (const missing of [
      "namespace",
      "metricName",
      "statistic",
      "period",
      "evaluationPeriods",
      "threshold",
    ]) {
      const body: Record<string, unknown> = { ...base };
      delete body[missing];
      expectError(await put(body), 400, "MissingParameter");
    }
    expect(api.events.versions).toEqual([]);
  });

  test("PUT state records a StateUpdate and runs the scaling policy its actions name", async ({ api }) => {
    const arn = await policyArn(api);
    await api.request("PUT", "/v1/alarms/high-cpu", issueAlarm(arn));
    const set = await api.request("PUT", "/v1/alarms/high-cpu/state", {
      stateValue: "ALARM",
      stateReason: "manual test",
      stateReasonData: JSON.stringify({ reason: "test" }),
    });
    expectStatus(set, 200);
    expect(set.body).toMatchObject({ stateValue: "ALARM", stateReason: "manual test" });
    expect(api.events.invocations).toEqual([
      expect.objectContaining({ policyArn: arn, alarmName: "high-cpu", alarmState: "ALARM" }),
    ]);
    const history = await api.request("GET", "/v1/alarms/high-cpu/history?historyItemType=StateUpdate");
    expect(history.body.alarmHistoryItems).toHaveLength(1);
    expect(history.body.alarmHistoryItems[0]).toMatchObject({
      historyItemType: "StateUpdate",
      historySummary: "Alarm updated from INSUFFICIENT_DATA to ALARM",
    });
    const data = JSON.parse(history.body.alarmHistoryItems[0].historyData);
    expect(data.newState).toMatchObject({ stateValue: "ALARM", stateReason: "manual test" });

    // The same state again is no transition: no history, no action.
    await api.request("PUT", "/v1/alarms/high-cpu/state", { stateValue: "ALARM", stateReason: "again" });
    expect(api.events.invocations).toHaveLength(1);
    // OK has no actions here.
    await api.request("PUT", "/v1/alarms/high-cpu/state", { stateValue: "OK", stateReason: "calm" });
    expect(api.events.invocations).toHaveLength(1);
    const all = await api.request("GET", "/v1/alarms/high-cpu/history?historyItemType=StateUpdate");
    expect(all.body.alarmHistoryItems).toHaveLength(2);

    // An action that is not a scaling policy is recorded as a failed Action, and nothing is invoked.
    await api.request("PUT", "/v1/alarms/sns", { ...issueAlarm("arn:aws:sns:us-east-1:000000000000:topic") });
    await api.request("PUT", "/v1/alarms/sns/state", { stateValue: "ALARM", stateReason: "x" });
    expect(api.events.invocations).toHaveLength(1);
    const actions = await api.request("GET", "/v1/alarms/sns/history?historyItemType=Action");
    expect(actions.body.alarmHistoryItems).toHaveLength(1);

    // Disabled actions do not run.
    await api.request("PUT", "/v1/alarms/quiet", { ...issueAlarm(arn), actionsEnabled: false });
    await api.request("PUT", "/v1/alarms/quiet/state", { stateValue: "ALARM", stateReason: "x" });
    expect(api.events.invocations).toHaveLength(1);
  });

  test("PUT state refuses bad input", async ({ api }) => {
    await api.request("PUT", "/v1/alarms/a", issueAlarm("arn:aws:sns:us-east-1:000000000000:topic"));
    expectError(
      await api.request("PUT", "/v1/alarms/a/state", { stateValue: "BROKEN", stateReason: "x" }),
      400,
      "ValidationError",
    );
    expectError(await api.request("PUT", "/v1/alarms/a/state", { stateValue: "OK" }), 400, "ValidationError");
    expectError(
      await api.request("PUT", "/v1/alarms/a/state", {
        stateValue: "OK",
        stateReason: "x",
        stateReasonData: "{nope",
      }),
      400,
      "InvalidParameterValue",
    );
    expectError(
      await api.request("PUT", "/v1/alarms/nope/state", { stateValue: "OK", stateReason: "x" }),
      404,
      "ResourceNotFound",
    );
  });

  test("list filters by prefix and state, and paginates", async ({ api }) => {
    const base = issueAlarm("arn:aws:sns:us-east-1:000000000000:topic");
    for (const name of ["web-1", "web-2", "db-1"]) {
      expectStatus(await api.request("PUT", `/v1/alarms/${name}`, base), 201);
    }
    await api.request("PUT", "/v1/alarms/web-2/state", { stateValue: "ALARM", stateReason: "x" });
    const names = (reply: { body: { metricAlarms: Array<{ alarmName: string }> } }) =>
      reply.body.metricAlarms.map((a) => a.alarmName);
    expect(names(await api.request("GET", "/v1/alarms"))).toEqual(["db-1", "web-1", "web-2"]);
    expect(names(await api.request("GET", "/v1/alarms?alarmNamePrefix=web-"))).toEqual(["web-1", "web-2"]);
    expect(names(await api.request("GET", "/v1/alarms?stateValue=ALARM"))).toEqual(["web-2"]);
    const page = await api.request("GET", "/v1/alarms?pageSize=2");
    expect(names(page)).toEqual(["db-1", "web-1"]);
    const next = await api.request(
      "GET",
      `/v1/alarms?pageSize=2&nextToken=${encodeURIComponent(page.body.nextToken)}`,
    );
    expect(names(next)).toEqual(["web-2"]);
    expect(next.body.nextToken).toBeUndefined();
    expectError(await api.request("GET", "/v1/alarms?stateValue=RED"), 400, "ValidationError");
  });

  test("delete answers 204, then everything about the alarm is 404", async ({ api }) => {
    await api.request("PUT", "/v1/alarms/a", issueAlarm("arn:aws:sns:us-east-1:000000000000:topic"));
    const deleted = await api.request("DELETE", "/v1/alarms/a");
    expectStatus(deleted, 204);
    expect(deleted.raw.body).toBe("");
    expectError(await api.request("GET", "/v1/alarms/a"), 404, "ResourceNotFound");
    expectError(await api.request("GET", "/v1/alarms/a/history"), 404, "ResourceNotFound");
    expectError(await api.request("DELETE", "/v1/alarms/a"), 404, "ResourceNotFound");
    // A new alarm of the same name starts afresh.
    const again = await api.request(
      "PUT",
      "/v1/alarms/a",
      issueAlarm("arn:aws:sns:us-east-1:000000000000:topic"),
    );
    expectStatus(again, 201);
    const history = await api.request("GET", "/v1/alarms/a/history");
    expect(history.body.alarmHistoryItems).toHaveLength(1);
  });
});
