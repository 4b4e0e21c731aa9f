import { describe, expect } from "vitest";
import { expectError, expectStatus, issueTargetGroup, type TestApp, apiTest as test } from "./helpers.ts";

const attributesOf = async (api: TestApp, name: string): Promise<Record<string, string>> => {
  const reply = await api.request("GET", `/v1/target-groups/${name}/attributes`);
  expectStatus(reply, 200);
  return Object.fromEntries(
    reply.body.attributes.map((a: { key: string; value: string }) => [a.key, a.value]),
  );
};

const patchAttributes = (api: TestApp, name: string, attributes: Record<string, string>) =>
  api.request("PATCH", `/v1/target-groups/${name}/attributes`, {
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })),
  });

/** A load balancer "web" whose listener on `port` forwards to the target group. */
async function useGroup(api: TestApp, targetGroupArn: string, port = 8080) {
  await api.request("POST", "/v1/load-balancers", { name: "web" });
  const listener = await api.request("POST", "/v1/load-balancers/web/listeners", {
    protocol: "HTTP",
    port,
    defaultActions: [{ type: "forward", targetGroupArn }],
  });
  expectStatus(listener, 201);
  return listener.body as { listenerArn: string; loadBalancerArn: string };
}

describe("target groups", () => {
  test("the issue's example is created as written", async ({ api }) => {
    const created = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    expectStatus(created, 201);
    expect(created.body.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup\/web-tg\/[0-9a-f]{16}$/,
    );
    expect(created.body).toMatchObject({
      targetGroupName: "web-tg",
      protocol: "HTTP",
      protocolVersion: "HTTP1",
      port: 80,
      targetType: "ip",
      healthCheckEnabled: true,
      healthCheckProtocol: "HTTP",
      healthCheckPort: "traffic-port",
      healthCheckPath: "/health",
      healthCheckIntervalSeconds: 5,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      matcher: { httpCode: "200" },
      loadBalancerArns: [],
    });
    // The default timeout gives way to the short interval instead of refusing the example.
    expect(created.body.healthCheckTimeoutSeconds).toBeLessThan(5);
    expect(api.events.versions).toEqual([1]);
    const byName = await api.request("GET", "/v1/target-groups/web-tg");
    expect(byName.body).toEqual(created.body);
    const byArn = await api.request(
      "GET",
      `/v1/target-groups/${encodeURIComponent(created.body.targetGroupArn)}`,
    );
    expect(byArn.body).toEqual(created.body);
  });

  test("AWS's health check defaults apply when nothing is given", async ({ api }) => {
    const created = await api.request("POST", "/v1/target-groups", {
      name: "plain",
      protocol: "HTTP",
      port: 80,
    });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      targetType: "instance",
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      healthCheckPath: "/",
      healthCheckPort: "traffic-port",
      matcher: { httpCode: "200" },
    });
  });

  test("health check values outside AWS's ranges are ValidationError", async ({ api }) => {
    const base = { name: "tg", protocol: "HTTP", port: 80 };
    for (const extra of [
      { healthCheckIntervalSeconds: 4 },
      { healthCheckIntervalSeconds: 1 },
      { healthCheckIntervalSeconds: 301 },
      { healthCheckTimeoutSeconds: 1 },
      { healthCheckTimeoutSeconds: 121 },
      { healthCheckIntervalSeconds: 10, healthCheckTimeoutSeconds: 10 },
      { healthyThresholdCount: 1 },
      { healthyThresholdCount: 11 },
      { unhealthyThresholdCount: 1 },
      { unhealthyThresholdCount: 11 },
      { healthCheckPath: "health" },
      { healthCheckPort: "0" },
      { healthCheckPort: "web" },
      { healthCheckProtocol: "TCP" },
      { matcher: { httpCode: "600" } },
      { matcher: { httpCode: "abc" } },
      { protocol: "GENEVE" },
      { protocol: "HTTP", port: 0 },
      { port: undefined },
      { targetType: "lambda" },
      { targetType: "container" },
      { name: "bad_name" },
      { protocolVersion: "HTTP3" },
    ]) {
      const reply = await api.request("POST", "/v1/target-groups", { ...base, ...extra });
      expectError(reply, 400, "ValidationError");
    }
    expect(api.events.versions).toEqual([]);
  });

  test("fast mode allows a 1 s interval; AWS mode does not", async ({ api, fastApi }) => {
    const body = {
      name: "quick",
      protocol: "HTTP",
      port: 80,
      targetType: "ip",
      healthCheckIntervalSeconds: 1,
    };
    expectError(await api.request("POST", "/v1/target-groups", body), 400, "ValidationError");
    const fast = await fastApi.request("POST", "/v1/target-groups", body);
    expectStatus(fast, 201);
    expect(fast.body.healthCheckIntervalSeconds).toBe(1);
    expect(fast.body.healthCheckTimeoutSeconds).toBe(1);
    expectStatus(
      await fastApi.request("PATCH", "/v1/target-groups/quick/attributes", {
        attributes: [{ key: "slow_start.duration_seconds", value: "5" }],
      }),
      200,
    );
  });

  test("create is idempotent for the same settings and DuplicateTargetGroupName otherwise", async ({
    api,
  }) => {
    const first = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const again = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    expectStatus(again, 200);
    expect(again.body.targetGroupArn).toBe(first.body.targetGroupArn);
    expect(api.events.versions).toEqual([1]);
    const clash = await api.request("POST", "/v1/target-groups", { ...issueTargetGroup, port: 81 });
    expectError(clash, 409, "DuplicateTargetGroupName", /web-tg/);
    const clash2 = await api.request("POST", "/v1/target-groups", {
      ...issueTargetGroup,
      healthCheckPath: "/",
    });
    expectError(clash2, 409, "DuplicateTargetGroupName");
  });

  test("list paginates and filters by load balancer", async ({ api }) => {
    for (const name of ["tg-c", "tg-a", "tg-b"]) {
      expectStatus(await api.request("POST", "/v1/target-groups", { name, protocol: "HTTP", port: 80 }), 201);
    }
    const first = await api.request("GET", "/v1/target-groups?pageSize=2");
    expect(first.body.targetGroups.map((g: { targetGroupName: string }) => g.targetGroupName)).toEqual([
      "tg-a",
      "tg-b",
    ]);
    const second = await api.request(
      "GET",
      `/v1/target-groups?pageSize=2&nextToken=${encodeURIComponent(first.body.nextToken)}`,
    );
    expect(second.body.targetGroups.map((g: { targetGroupName: string }) => g.targetGroupName)).toEqual([
      "tg-c",
    ]);
    expect(second.body.nextToken).toBeUndefined();

    const b = await api.request("GET", "/v1/target-groups/tg-b");
    const { loadBalancerArn } = await useGroup(api, b.body.targetGroupArn);
    const filtered = await api.request(
      "GET",
      `/v1/target-groups?loadBalancerArn=${encodeURIComponent(loadBalancerArn)}`,
    );
    expect(filtered.body.targetGroups).toHaveLength(1);
    expect(filtered.body.targetGroups[0]).toMatchObject({
      targetGroupName: "tg-b",
      loadBalancerArns: [loadBalancerArn],
    });
    expectError(await api.request("GET", "/v1/target-groups/nope"), 404, "TargetGroupNotFound");
  });

  test("patch changes the health check settings within AWS's ranges", async ({ api }) => {
    await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const patched = await api.request("PATCH", "/v1/target-groups/web-tg", {
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 3,
      healthyThresholdCount: 2,
      matcher: { httpCode: "200-299" },
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 3,
      healthyThresholdCount: 2,
      matcher: { httpCode: "200-299" },
      healthCheckPath: "/health",
    });
    expectError(
      await api.request("PATCH", "/v1/target-groups/web-tg", { healthCheckIntervalSeconds: 3 }),
      400,
      "ValidationError",
    );
    expectError(await api.request("PATCH", "/v1/target-groups/web-tg", { port: 81 }), 400, "ValidationError");
    expectError(
      await api.request("PATCH", "/v1/target-groups/nope", { healthyThresholdCount: 3 }),
      404,
      "TargetGroupNotFound",
    );
  });

  test("attributes: defaults, every algorithm, stickiness, and AWS's cross-attribute rules", async ({
    api,
  }) => {
    await api.request("POST", "/v1/target-groups", issueTargetGroup);
    expect(await attributesOf(api, "web-tg")).toMatchObject({
      "deregistration_delay.timeout_seconds": "300",
      "load_balancing.algorithm.type": "round_robin",
      "slow_start.duration_seconds": "0",
      "stickiness.enabled": "false",
      "stickiness.type": "lb_cookie",
      "stickiness.lb_cookie.duration_seconds": "86400",
    });
    for (const algorithm of ["least_outstanding_requests", "weighted_random", "round_robin"]) {
      const reply = await patchAttributes(api, "web-tg", { "load_balancing.algorithm.type": algorithm });
      expectStatus(reply, 200);
      expect(reply.body.attributes).toContainEqual({
        key: "load_balancing.algorithm.type",
        value: algorithm,
      });
    }
    expectError(
      await patchAttributes(api, "web-tg", { "load_balancing.algorithm.type": "random" }),
      400,
      "ValidationError",
    );
    expectError(await patchAttributes(api, "web-tg", { "no.such.key": "1" }), 400, "ValidationError");
    expectError(
      await patchAttributes(api, "web-tg", { "deregistration_delay.timeout_seconds": "3601" }),
      400,
      "ValidationError",
    );
    expectStatus(await patchAttributes(api, "web-tg", { "deregistration_delay.timeout_seconds": "0" }), 200);

    // Stickiness: lb_cookie with a duration, app_cookie only with a cookie name of the application's own.
    expectStatus(
      await patchAttributes(api, "web-tg", {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "60",
      }),
      200,
    );
    expectError(
      await patchAttributes(api, "web-tg", { "stickiness.lb_cookie.duration_seconds": "0" }),
      400,
      "ValidationError",
    );
    expectError(
      await patchAttributes(api, "web-tg", { "stickiness.type": "app_cookie" }),
      400,
      "ValidationError",
    );
    expectError(
      await patchAttributes(api, "web-tg", {
        "stickiness.type": "app_cookie",
        "stickiness.app_cookie.cookie_name": "AWSALBAPP-1",
      }),
      400,
      "ValidationError",
    );
    expectStatus(
      await patchAttributes(api, "web-tg", {
        "stickiness.type": "app_cookie",
        "stickiness.app_cookie.cookie_name": "session",
      }),
      200,
    );
    expectError(
      await patchAttributes(api, "web-tg", { "stickiness.type": "source_ip" }),
      400,
      "ValidationError",
    );

    // Slow start: 30-900 s in AWS mode, and only with round_robin.
    expectError(
      await patchAttributes(api, "web-tg", { "slow_start.duration_seconds": "10" }),
      400,
      "ValidationError",
    );
    expectError(
      await patchAttributes(api, "web-tg", {
        "slow_start.duration_seconds": "60",
        "load_balancing.algorithm.type": "least_outstanding_requests",
      }),
      400,
      "ValidationError",
    );
    expectStatus(await patchAttributes(api, "web-tg", { "slow_start.duration_seconds": "60" }), 200);
    expectError(
      await patchAttributes(api, "web-tg", { "load_balancing.algorithm.type": "least_outstanding_requests" }),
      400,
      "ValidationError",
    );
    const final = await attributesOf(api, "web-tg");
    expect(final).toMatchObject({
      "slow_start.duration_seconds": "60",
      "load_balancing.algorithm.type": "round_robin",
      "stickiness.type": "app_cookie",
      "stickiness.app_cookie.cookie_name": "session",
    });
    expectError(await api.request("GET", "/v1/target-groups/nope/attributes"), 404, "TargetGroupNotFound");
  });

  test("register and deregister targets; health is unused while no listener uses the group", async ({
    api,
  }) => {
    await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const versions = api.events.versions.length;
    const registered = await api.request("POST", "/v1/target-groups/web-tg/targets", {
      targets: [{ id: "127.0.0.1", port: 9001 }],
    });
    expectStatus(registered, 200);
    expect(registered.body).toEqual({});
    expect(api.events.versions.length).toBe(versions + 1);
    // The group's port when the target names none.
    expectStatus(
      await api.request("POST", "/v1/target-groups/web-tg/targets", { targets: [{ id: "10.0.0.7" }] }),
      200,
    );
    // Registering again changes nothing.
    expectStatus(
      await api.request("POST", "/v1/target-groups/web-tg/targets", {
        targets: [{ id: "127.0.0.1", port: 9001 }],
      }),
      200,
    );

    const health = await api.request("GET", "/v1/target-groups/web-tg/health");
    expectStatus(health, 200);
    expect(health.body.targetHealthDescriptions).toEqual([
      {
        target: { id: "127.0.0.1", port: 9001 },
        healthCheckPort: "9001",
        targetHealth: {
          state: "unused",
          reason: "Target.NotInUse",
          description: "Target group is not configured to receive traffic from the load balancer",
        },
      },
      expect.objectContaining({
        target: { id: "10.0.0.7", port: 80 },
        targetHealth: expect.objectContaining({ state: "unused" }),
      }),
    ]);

    // Not in use: nothing to drain, the target goes at once.
    expectStatus(
      await api.request("POST", "/v1/target-groups/web-tg/targets/deregister", {
        targets: [{ id: "10.0.0.7" }],
      }),
      200,
    );
    const after = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(after.body.targetHealthDescriptions.map((d: { target: { id: string } }) => d.target.id)).toEqual([
      "127.0.0.1",
    ]);
    expectError(
      await api.request("POST", "/v1/target-groups/web-tg/targets/deregister", {
        targets: [{ id: "10.0.0.7" }],
      }),
      400,
      "InvalidTarget",
    );
  });

  test("health is initial/Elb.RegistrationInProgress when in use, and draining after deregister", async ({
    api,
  }) => {
    const tg = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    await useGroup(api, tg.body.targetGroupArn);
    await api.request("POST", "/v1/target-groups/web-tg/targets", {
      targets: [
        { id: "127.0.0.1", port: 9001 },
        { id: "127.0.0.1", port: 9002 },
      ],
    });
    const health = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(health.body.targetHealthDescriptions).toHaveLength(2);
    for (const description of health.body.targetHealthDescriptions) {
      expect(description.targetHealth).toEqual({
        state: "initial",
        reason: "Elb.RegistrationInProgress",
        description: "Target registration is in progress",
      });
    }
    expectStatus(
      await api.request("POST", "/v1/target-groups/web-tg/targets/deregister", {
        targets: [{ id: "127.0.0.1", port: 9001 }],
      }),
      200,
    );
    const draining = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(draining.body.targetHealthDescriptions).toContainEqual({
      target: { id: "127.0.0.1", port: 9001 },
      healthCheckPort: "9001",
      targetHealth: {
        state: "draining",
        reason: "Target.DeregistrationInProgress",
        description: "Target deregistration is in progress",
      },
    });
    // Registering a draining target again starts it over.
    await api.request("POST", "/v1/target-groups/web-tg/targets", {
      targets: [{ id: "127.0.0.1", port: 9001 }],
    });
    const again = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(
      again.body.targetHealthDescriptions.map(
        (d: { targetHealth: { state: string } }) => d.targetHealth.state,
      ),
    ).toEqual(["initial", "initial"]);
  });

  test("targets AWS would refuse are InvalidTarget or ValidationError", async ({ api }) => {
    await api.request("POST", "/v1/target-groups", issueTargetGroup);
    await api.request("POST", "/v1/target-groups", { name: "instances", protocol: "HTTP", port: 80 });
    const register = (name: string, targets: unknown) =>
      api.request("POST", `/v1/target-groups/${name}/targets`, { targets });
    expectError(await register("web-tg", [{ id: "8.8.8.8", port: 80 }]), 400, "InvalidTarget");
    expectError(await register("web-tg", [{ id: "not-an-ip", port: 80 }]), 400, "InvalidTarget");
    expectError(await register("instances", [{ id: "i-0123456789abcdef0" }]), 400, "InvalidTarget");
    expectError(await register("instances", [{ id: "127.0.0.1" }]), 400, "InvalidTarget");
    expectError(await register("web-tg", [{ id: "127.0.0.1", port: 0 }]), 400, "ValidationError");
    expectError(await register("web-tg", []), 400, "ValidationError");
    expectError(await register("web-tg", [{ port: 80 }]), 400, "ValidationError");
    expectError(await register("nope", [{ id: "127.0.0.1" }]), 404, "TargetGroupNotFound");
    expectError(await api.request("GET", "/v1/target-groups/nope/health"), 404, "TargetGroupNotFound");
    // All or nothing: one bad target refuses the call.
    expectError(
      await register("web-tg", [
        { id: "127.0.0.1", port: 80 },
        { id: "1.1.1.1", port: 80 },
      ]),
      400,
      "InvalidTarget",
    );
    const health = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(health.body.targetHealthDescriptions).toEqual([]);
  });

  test("1,000 targets register in one call; the 1,001st is TooManyTargets", async ({ api }) => {
    await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const targets = Array.from({ length: 1000 }, (_, i) => ({
      id: `127.0.${i >> 8}.${i & 255}`,
      port: 9000,
    }));
    const started = performance.now();
    expectStatus(await api.request("POST", "/v1/target-groups/web-tg/targets", { targets }), 200);
    expect(performance.now() - started).toBeLessThan(2000);
    const health = await api.request("GET", "/v1/target-groups/web-tg/health");
    expect(health.body.targetHealthDescriptions).toHaveLength(1000);
    expectError(
      await api.request("POST", "/v1/target-groups/web-tg/targets", {
        targets: [{ id: "127.1.0.1", port: 9000 }],
      }),
      400,
      "TooManyTargets",
    );
  });

  test("a group a listener or rule uses cannot be deleted (ResourceInUse) and still exists", async ({
    api,
  }) => {
    const tg = await api.request("POST", "/v1/target-groups", issueTargetGroup);
    const { listenerArn } = await useGroup(api, tg.body.targetGroupArn);
    const versions = api.events.versions.length;
    // The message names the user, so the caller knows what to change first.
    expectError(
      await api.request("DELETE", "/v1/target-groups/web-tg"),
      409,
      "ResourceInUse",
      `Target group '${tg.body.targetGroupArn}' is currently in use by a listener or a rule (used by listener ${listenerArn})`,
    );
    expect(api.events.versions.length).toBe(versions);
    expectStatus(await api.request("GET", "/v1/target-groups/web-tg"), 200);

    // Used by a rule only.
    const listenerId = listenerArn.split("/").pop();
    await api.request("PATCH", `/v1/listeners/${listenerId}`, {
      defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "404" } }],
    });
    const made = await api.request("POST", `/v1/listeners/${listenerId}/rules`, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/api/*"] }],
      actions: [{ type: "forward", targetGroupArn: tg.body.targetGroupArn }],
    });
    expectStatus(made, 201);
    expectError(
      await api.request("DELETE", "/v1/target-groups/web-tg"),
      409,
      "ResourceInUse",
      `(used by rule ${made.body.ruleArn})`,
    );
    expectStatus(await api.request("GET", "/v1/target-groups/web-tg"), 200);

    expectStatus(await api.request("DELETE", `/v1/rules/${made.body.ruleArn.split("/").pop()}`), 204);
    const deleted = await api.request("DELETE", "/v1/target-groups/web-tg");
    expectStatus(deleted, 204);
    expect(deleted.raw.body).toBe("");
    expectError(await api.request("GET", "/v1/target-groups/web-tg"), 404, "TargetGroupNotFound");
    expectError(await api.request("DELETE", "/v1/target-groups/web-tg"), 404, "TargetGroupNotFound");
  });
});
