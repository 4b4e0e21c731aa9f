import { instanceRegistry } from "@scaleout/services";
import { describe, expect } from "vitest";
import { expectError, expectStatus, issueLaunchTemplate, apiTest as test } from "./helpers.ts";

// Lifecycle hooks over the REST door: the same service as the AWS door, so the same checks and errors.

describe("lifecycle hooks (REST)", () => {
  test("put, describe, complete by token or instance, heartbeat, delete", async ({ fastApi: api }) => {
    expectStatus(await api.request("POST", "/v1/launch-templates", issueLaunchTemplate), 201);
    expectStatus(
      await api.request("POST", "/v1/auto-scaling-groups", {
        autoScalingGroupName: "web",
        launchTemplate: { launchTemplateName: "app" },
        minSize: 0,
        maxSize: 2,
        lifecycleHookSpecificationList: [
          { lifecycleHookName: "boot", lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING" },
        ],
      }),
      201,
    );
    const put = await api.request("PUT", "/v1/auto-scaling-groups/web/lifecycle-hooks/drain", {
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: 1,
      defaultResult: "CONTINUE",
    });
    expectStatus(put, 200);
    // Fast mode: a heartbeat timeout of 1 s is accepted.
    expect(put.body).toEqual({
      lifecycleHookName: "drain",
      autoScalingGroupName: "web",
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: 1,
      globalTimeout: 100,
      defaultResult: "CONTINUE",
    });
    const listed = await api.request("GET", "/v1/auto-scaling-groups/web/lifecycle-hooks");
    expect(listed.body.lifecycleHooks.map((h: { lifecycleHookName: string }) => h.lifecycleHookName)).toEqual(
      ["boot", "drain"],
    );
    expect((await api.request("GET", "/v1/lifecycle-hook-types")).body.lifecycleHookTypes).toHaveLength(2);
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/web/lifecycle-hooks/x", { heartbeatTimeout: 0 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PUT", "/v1/auto-scaling-groups/nope/lifecycle-hooks/x", {
        lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      }),
      404,
      "AutoScalingGroupNotFound",
    );

    // The worker's first step of a launch, here by hand: the hook holds the instance.
    const registry = instanceRegistry(api.services.ctx);
    const snapshot = registry.snapshot("web");
    if (!snapshot) throw new Error("no snapshot");
    const [row] = registry.beginLaunches(snapshot, [{ instanceId: "i-0123456789abcdef0", port: 31_000 }], {
      cause: "test",
      driver: "process",
    });
    expect(
      registry.completeLaunch(row?.id ?? "", { ref: "1", address: "127.0.0.1", port: 31_000 })
        ?.lifecycleState,
    ).toBe("Pending:Wait");
    const published = api.events.events.filter(
      (e) => e["detail-type"] === "EC2 Instance-launch Lifecycle Action",
    );
    expect(published).toHaveLength(1);
    const actions = await api.request("GET", "/v1/auto-scaling-groups/web/lifecycle-actions");
    const [action] = actions.body.lifecycleActions;
    expect(action).toMatchObject({
      instanceId: "i-0123456789abcdef0",
      lifecycleHookName: "boot",
      lifecycleActionToken: published[0]?.detail.LifecycleActionToken,
    });
    expectStatus(
      await api.request("POST", "/v1/auto-scaling-groups/web/lifecycle-hooks/boot/heartbeat", {
        instanceId: "i-0123456789abcdef0",
      }),
      204,
    );
    expectError(
      await api.request("POST", "/v1/auto-scaling-groups/web/lifecycle-hooks/boot/complete", {
        lifecycleActionResult: "CONTINUE",
      }),
      400,
      "ValidationError",
      /LifecycleActionToken or InstanceId/,
    );
    expectStatus(
      await api.request("POST", "/v1/auto-scaling-groups/web/lifecycle-hooks/boot/complete", {
        lifecycleActionToken: action.lifecycleActionToken,
        lifecycleActionResult: "ABANDON",
      }),
      204,
    );
    expect(api.events.groups).toContainEqual({ name: "web", reason: "lifecycle action ABANDON" });

    expectStatus(await api.request("DELETE", "/v1/auto-scaling-groups/web/lifecycle-hooks/drain"), 204);
    expectError(
      await api.request("GET", "/v1/auto-scaling-groups/web/lifecycle-hooks/drain"),
      400,
      "ValidationError",
    );
  });
});
