import { describe, expect } from "vitest";
import { expectError, expectStatus, issueLaunchTemplate, apiTest as test } from "./helpers.ts";

/* Scheduled actions and group metrics over the REST door: the same services as the AWS door's. */

describe("scheduled actions and group metrics (REST)", () => {
  test("put, list, batch, delete; metrics collection on the group", async ({ api }) => {
    expectStatus(await api.request("POST", "/v1/launch-templates", issueLaunchTemplate), 201);
    expectStatus(
      await api.request("POST", "/v1/auto-scaling-groups", {
        autoScalingGroupName: "web",
        launchTemplate: { launchTemplateName: issueLaunchTemplate.launchTemplateName },
        minSize: 0,
        maxSize: 4,
      }),
      201,
    );
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api.request("PUT", "/v1/auto-scaling-groups/web/scheduled-actions/peak", {
      startTime: start,
      desiredCapacity: 3,
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      autoScalingGroupName: "web",
      scheduledActionName: "peak",
      startTime: start,
      desiredCapacity: 3,
    });
    const replaced = await api.request("PUT", "/v1/auto-scaling-groups/web/scheduled-actions/peak", {
      recurrence: "0 8 * * 1-5",
      timeZone: "Asia/Tokyo",
      minSize: 1,
    });
    expectStatus(replaced, 200);
    expect(replaced.body.scheduledActionARN).toBe(created.body.scheduledActionARN);
    expect(replaced.body.desiredCapacity).toBeUndefined();
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/web/scheduled-actions/bad", {
        recurrence: "every day",
        minSize: 1,
      }),
      400,
      "ValidationError",
      /recurrence/,
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/nope/scheduled-actions/x", {
        startTime: start,
        minSize: 1,
      }),
      404,
      "AutoScalingGroupNotFound",
    );

    const batch = await api.request("POST", "/v1/auto-scaling-groups/web/scheduled-actions/batch-put", {
      scheduledUpdateGroupActions: [
        { scheduledActionName: "a", startTime: start, maxSize: 2 },
        { scheduledActionName: "b", startTime: start },
      ],
    });
    expectStatus(batch, 200);
    expect(batch.body.failedScheduledUpdateGroupActions).toEqual([
      {
        scheduledActionName: "b",
        errorCode: "ValidationError",
        errorMessage: expect.stringMatching(/MinSize/),
      },
    ]);
    const list = await api.request("GET", "/v1/auto-scaling-groups/web/scheduled-actions?pageSize=1");
    expectStatus(list, 200);
    expect(
      list.body.scheduledUpdateGroupActions.map(
        (a: { scheduledActionName: string }) => a.scheduledActionName,
      ),
    ).toEqual(["a"]);
    expect(list.body.nextToken).toEqual(expect.any(String));
    const deleted = await api.request("POST", "/v1/auto-scaling-groups/web/scheduled-actions/batch-delete", {
      scheduledActionNames: ["a", "zz"],
    });
    expect(deleted.body.failedScheduledActions).toEqual([
      { scheduledActionName: "zz", errorCode: "ValidationError", errorMessage: expect.any(String) },
    ]);
    expectStatus(await api.request("DELETE", "/v1/auto-scaling-groups/web/scheduled-actions/peak"), 204);
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/web/scheduled-actions/peak"),
      400,
      "ValidationError",
    );

    const enabled = await api.request("PUT", "/v1/auto-scaling-groups/web/metrics-collection", {
      granularity: "1Minute",
      metrics: ["GroupInServiceInstances"],
    });
    expectStatus(enabled, 200);
    expect(enabled.body.enabledMetrics).toEqual([
      { metric: "GroupInServiceInstances", granularity: "1Minute" },
    ]);
    const disabled = await api.request("POST", "/v1/auto-scaling-groups/web/metrics-collection/disable");
    expectStatus(disabled, 200);
    expect(disabled.body.enabledMetrics).toEqual([]);
    const types = await api.request("GET", "/v1/auto-scaling/termination-policy-types");
    expect(types.body.terminationPolicyTypes).toContain("OldestInstance");
  });
});
