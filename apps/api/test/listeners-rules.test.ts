import { describe, expect } from "vitest";
import { expectError, expectStatus, lastSegment, seedWeb, type TestApp, apiTest as test } from "./helpers.ts";

const fixed = (body: string) => ({
  type: "fixed-response",
  fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: body },
});

/** The issue's rule example, verbatim. */
const issueRule = {
  priority: 10,
  conditions: [{ field: "path-pattern", values: ["/api/*"] }],
  actions: [
    {
      type: "fixed-response",
      fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: "ok" },
    },
  ],
};

async function rule(api: TestApp, listenerId: string, priority: number, path = `/p${priority}`) {
  const reply = await api.request("POST", `/v1/listeners/${listenerId}/rules`, {
    priority,
    conditions: [{ field: "path-pattern", values: [path] }],
    actions: [fixed(String(priority))],
  });
  expectStatus(reply, 201);
  return reply.body as { ruleArn: string; priority: string };
}

describe("listeners", () => {
  test("create with a forward default action, as the issue writes it", async ({ api }) => {
    const { loadBalancerArn, targetGroupArn, listenerArn } = await seedWeb(api);
    expect(listenerArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:listener\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
    );
    const listener = await api.request("GET", `/v1/listeners/${lastSegment(listenerArn)}`);
    expectStatus(listener, 200);
    expect(listener.body).toMatchObject({
      listenerArn,
      loadBalancerArn,
      port: 8080,
      protocol: "HTTP",
      defaultActions: [
        {
          type: "forward",
          targetGroupArn,
          forwardConfig: { targetGroups: [{ targetGroupArn, weight: 1 }] },
        },
      ],
    });
    // The target group now belongs to the load balancer.
    const tg = await api.request("GET", "/v1/target-groups/web-tg");
    expect(tg.body.loadBalancerArns).toEqual([loadBalancerArn]);
    const list = await api.request("GET", "/v1/load-balancers/web/listeners");
    expectStatus(list, 200);
    expect(list.body.listeners).toHaveLength(1);
    expect(list.body.listeners[0].listenerArn).toBe(listenerArn);
    expect(api.events.versions).toEqual([1, 2, 3]);
  });

  test("get by the last ARN segment and by the URL-encoded full ARN", async ({ api }) => {
    const { listenerArn, listenerId } = await seedWeb(api);
    const bySegment = await api.request("GET", `/v1/listeners/${listenerId}`);
    const byArn = await api.request("GET", `/v1/listeners/${encodeURIComponent(listenerArn)}`);
    expectStatus(byArn, 200);
    expect(byArn.body).toEqual(bySegment.body);
    expectError(await api.request("GET", "/v1/listeners/0123456789abcdef"), 404, "ListenerNotFound");
    expectError(await api.request("GET", "/v1/listeners/not-an-id"), 404, "ListenerNotFound");
    expectError(await api.request("GET", "/v1/load-balancers/nope/listeners"), 404, "LoadBalancerNotFound");
  });

  test("a used port is DuplicateListener, on the same or another load balancer", async ({ api }) => {
    const { targetGroupArn } = await seedWeb(api);
    const again = {
      protocol: "HTTP",
      port: 8080,
      defaultActions: [{ type: "forward", targetGroupArn }],
    };
    expectError(
      await api.request("POST", "/v1/load-balancers/web/listeners", again),
      409,
      "DuplicateListener",
    );
    await api.request("POST", "/v1/load-balancers", { name: "other" });
    expectError(
      await api.request("POST", "/v1/load-balancers/other/listeners", {
        protocol: "HTTP",
        port: 8080,
        defaultActions: [fixed("x")],
      }),
      409,
      "DuplicateListener",
    );
  });

  test("bad listener input is a 4xx with AWS's code", async ({ api }) => {
    const { targetGroupArn } = await seedWeb(api);
    const url = "/v1/load-balancers/web/listeners";
    const base = { protocol: "HTTP", port: 9000, defaultActions: [fixed("x")] };
    expectError(await api.request("POST", url, { ...base, port: 0 }), 400, "ValidationError");
    expectError(await api.request("POST", url, { ...base, port: 70000 }), 400, "ValidationError");
    expectError(await api.request("POST", url, { ...base, protocol: "TCP" }), 400, "ValidationError");
    expectError(await api.request("POST", url, { ...base, protocol: "HTTPS" }), 400, "ValidationError");
    expectError(await api.request("POST", url, { ...base, defaultActions: [] }), 400, "ValidationError");
    expectError(
      await api.request("POST", url, { ...base, defaultActions: [{ type: "authenticate-oidc" }] }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", url, { ...base, defaultActions: [{ type: "forward" }] }),
      400,
      "ValidationError",
    );
    const unknownGroup = targetGroupArn.replace(/[0-9a-f]{16}$/, "0000000000000000");
    expectError(
      await api.request("POST", url, {
        ...base,
        defaultActions: [{ type: "forward", targetGroupArn: unknownGroup }],
      }),
      404,
      "TargetGroupNotFound",
    );
    expectError(
      await api.request("POST", "/v1/load-balancers/nope/listeners", base),
      404,
      "LoadBalancerNotFound",
    );
    // A target group belongs to one load balancer at most.
    await api.request("POST", "/v1/load-balancers", { name: "other" });
    expectError(
      await api.request("POST", "/v1/load-balancers/other/listeners", {
        ...base,
        defaultActions: [{ type: "forward", targetGroupArn }],
      }),
      400,
      "TargetGroupAssociationLimit",
    );
    // HTTPS needs a certificate ACM holds (listener-certificates.test.ts covers the accepted cases).
    expectError(
      await api.request("POST", url, {
        ...base,
        protocol: "HTTPS",
        certificates: [{ certificateArn: "arn:aws:acm:us-east-1:000000000000:certificate/abc" }],
      }),
      404,
      "CertificateNotFound",
    );
  });

  test("patch changes port and default actions, and the default rule follows", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    const versions = api.events.versions.length;
    const patched = await api.request("PATCH", `/v1/listeners/${listenerId}`, {
      port: 8081,
      defaultActions: [fixed("moved")],
    });
    expectStatus(patched, 200);
    expect(patched.body.port).toBe(8081);
    expect(patched.body.defaultActions).toEqual([fixed("moved")]);
    expect(api.events.versions.length).toBe(versions + 1);
    const rules = await api.request("GET", `/v1/listeners/${listenerId}/rules`);
    expect(rules.body.rules).toEqual([
      expect.objectContaining({ priority: "default", isDefault: true, actions: [fixed("moved")] }),
    ]);
    // The target group no longer forwarded to is free, and can be deleted.
    const tg = await api.request("GET", "/v1/target-groups/web-tg");
    expect(tg.body.loadBalancerArns).toEqual([]);
    expectError(
      await api.request("PATCH", `/v1/listeners/${listenerId}`, { port: 0 }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PATCH", `/v1/listeners/${listenerId}`, { colour: "red" }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("PATCH", "/v1/listeners/0123456789abcdef", { port: 8082 }),
      404,
      "ListenerNotFound",
    );
  });

  test("delete answers 204, then 404, and takes its rules along", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    const made = await rule(api, listenerId, 5);
    expectStatus(await api.request("DELETE", `/v1/listeners/${listenerId}`), 204);
    expectError(await api.request("GET", `/v1/listeners/${listenerId}`), 404, "ListenerNotFound");
    expectError(await api.request("DELETE", `/v1/listeners/${listenerId}`), 404, "ListenerNotFound");
    expectError(await api.request("GET", `/v1/rules/${lastSegment(made.ruleArn)}`), 404, "RuleNotFound");
  });
});

describe("rules", () => {
  test("the issue's fixed-response rule is created as written", async ({ api }) => {
    const { listenerArn, listenerId } = await seedWeb(api);
    const created = await api.request("POST", `/v1/listeners/${listenerId}/rules`, issueRule);
    expectStatus(created, 201);
    expect(created.body.ruleArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:listener-rule\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
    );
    expect(created.body.ruleArn.startsWith(listenerArn.replace(":listener/", ":listener-rule/"))).toBe(true);
    expect(created.body).toMatchObject({
      priority: "10",
      isDefault: false,
      conditions: [{ field: "path-pattern", values: ["/api/*"], pathPatternConfig: { values: ["/api/*"] } }],
      actions: issueRule.actions,
    });
    const id = lastSegment(created.body.ruleArn);
    const byId = await api.request("GET", `/v1/rules/${id}`);
    expectStatus(byId, 200);
    expect(byId.body).toEqual(created.body);
    const byArn = await api.request("GET", `/v1/rules/${encodeURIComponent(created.body.ruleArn)}`);
    expect(byArn.body).toEqual(created.body);
    // Rules can also be created against the listener's full ARN.
    const viaArn = await api.request("POST", `/v1/listeners/${encodeURIComponent(listenerArn)}/rules`, {
      ...issueRule,
      priority: 11,
    });
    expectStatus(viaArn, 201);
  });

  test("every condition type and every action type is accepted", async ({ api }) => {
    const { listenerId, targetGroupArn } = await seedWeb(api);
    const second = await api.request("POST", "/v1/target-groups", {
      name: "second",
      protocol: "HTTP",
      port: 81,
      targetType: "ip",
    });
    const url = `/v1/listeners/${listenerId}/rules`;
    const first = await api.request("POST", url, {
      priority: 1,
      conditions: [
        { field: "path-pattern", pathPatternConfig: { values: ["/a/*"] } },
        { field: "host-header", values: ["*.example.com"] },
        { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Env", values: ["staging"] } },
      ],
      actions: [
        {
          type: "forward",
          forwardConfig: {
            targetGroups: [
              { targetGroupArn, weight: 80 },
              { targetGroupArn: second.body.targetGroupArn, weight: 20 },
            ],
            targetGroupStickinessConfig: { enabled: true, durationSeconds: 3600 },
          },
        },
      ],
    });
    expectStatus(first, 201);
    expect(first.body.conditions).toEqual([
      { field: "path-pattern", values: ["/a/*"], pathPatternConfig: { values: ["/a/*"] } },
      { field: "host-header", values: ["*.example.com"], hostHeaderConfig: { values: ["*.example.com"] } },
      { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Env", values: ["staging"] } },
    ]);
    expect(first.body.actions[0].forwardConfig).toEqual({
      targetGroups: [
        { targetGroupArn, weight: 80 },
        { targetGroupArn: second.body.targetGroupArn, weight: 20 },
      ],
      targetGroupStickinessConfig: { enabled: true, durationSeconds: 3600 },
    });

    const secondRule = await api.request("POST", url, {
      priority: 2,
      conditions: [
        { field: "http-request-method", httpRequestMethodConfig: { values: ["GET", "HEAD"] } },
        { field: "query-string", queryStringConfig: { values: [{ key: "v", value: "2" }] } },
        { field: "source-ip", sourceIpConfig: { values: ["127.0.0.0/8", "::1/128"] } },
      ],
      actions: [{ type: "redirect", redirectConfig: { path: "/new/#{path}", statusCode: "HTTP_301" } }],
    });
    expectStatus(secondRule, 201);
    expect(secondRule.body.actions).toEqual([
      {
        type: "redirect",
        redirectConfig: {
          protocol: "#{protocol}",
          port: "#{port}",
          host: "#{host}",
          path: "/new/#{path}",
          query: "#{query}",
          statusCode: "HTTP_301",
        },
      },
    ]);
    expectStatus(
      await api.request("POST", url, {
        priority: 3,
        conditions: [{ field: "path-pattern", values: ["/teapot"] }],
        actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "418" } }],
      }),
      201,
    );
    // The second target group is now used by the load balancer too.
    const tg = await api.request("GET", "/v1/target-groups/second");
    expect(tg.body.loadBalancerArns).toHaveLength(1);
  });

  test("conditions and actions outside ALB's limits are ValidationError", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    const url = `/v1/listeners/${listenerId}/rules`;
    const bad = async (body: Record<string, unknown>, code = "ValidationError") =>
      expectError(
        await api.request("POST", url, { priority: 20, actions: [fixed("x")], ...body }),
        400,
        code,
      );
    // More than five condition values in all.
    await bad({ conditions: [{ field: "path-pattern", values: ["/1", "/2", "/3", "/4", "/5", "/6"] }] });
    await bad({
      conditions: [
        { field: "path-pattern", values: ["/1", "/2", "/3"] },
        { field: "host-header", values: ["a.test", "b.test", "c.test"] },
      ],
    });
    await bad({ conditions: [] });
    await bad({ conditions: [{ field: "cookie", values: ["x"] }] });
    await bad({ conditions: [{ field: "path-pattern", values: [] }] });
    await bad({
      conditions: [
        { field: "path-pattern", values: ["/a"] },
        { field: "path-pattern", values: ["/b"] },
      ],
    });
    await bad({ conditions: [{ field: "source-ip", sourceIpConfig: { values: ["not-a-cidr"] } }] });
    await bad({ conditions: [{ field: "http-header", httpHeaderConfig: { values: ["x"] } }] });
    await bad({
      conditions: [{ field: "http-request-method", httpRequestMethodConfig: { values: ["get"] } }],
    });
    const path = [{ field: "path-pattern", values: ["/x"] }];
    await bad({ conditions: path, actions: [] });
    await bad({
      conditions: path,
      actions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "302" } }],
    });
    await bad({
      conditions: path,
      actions: [{ type: "redirect", redirectConfig: { statusCode: "HTTP_301" } }],
    });
    await bad({ conditions: path, actions: [fixed("a"), fixed("b")] }, "TooManyActions");
    await bad(
      {
        conditions: path,
        actions: [
          { ...fixed("a"), order: 1 },
          { ...fixed("b"), order: 2 },
        ],
      },
      "TooManyActions",
    );
  });

  test("priority must be 1-50000 and unique per listener", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    const url = `/v1/listeners/${listenerId}/rules`;
    const body = (priority: unknown) => ({
      priority,
      conditions: [{ field: "path-pattern", values: ["/x"] }],
      actions: [fixed("x")],
    });
    for (const priority of [0, 50001, -1, 1.5, "abc", "0"]) {
      expectError(await api.request("POST", url, body(priority)), 400, "ValidationError");
    }
    expectStatus(await api.request("POST", url, body(50000)), 201);
    expectStatus(await api.request("POST", url, body("7")), 201);
    expectError(await api.request("POST", url, body(7)), 409, "PriorityInUse");
    expectError(
      await api.request("POST", url, { conditions: body(1).conditions, actions: [fixed("x")] }),
      400,
      "ValidationError",
    );
    expectError(
      await api.request("POST", "/v1/listeners/0123456789abcdef/rules", body(1)),
      404,
      "ListenerNotFound",
    );
  });

  test("the list is in priority order with the default rule last, and paginates", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    for (const priority of [30, 5, 20, 10]) await rule(api, listenerId, priority);
    const list = await api.request("GET", `/v1/listeners/${listenerId}/rules`);
    expectStatus(list, 200);
    expect(list.body.rules.map((r: { priority: string }) => r.priority)).toEqual([
      "5",
      "10",
      "20",
      "30",
      "default",
    ]);
    expect(list.body.rules[4].isDefault).toBe(true);
    expect(list.body.rules[4].conditions).toEqual([]);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await api.request(
        "GET",
        `/v1/listeners/${listenerId}/rules?pageSize=2${token ? `&nextToken=${encodeURIComponent(token)}` : ""}`,
      );
      expectStatus(page, 200);
      seen.push(...page.body.rules.map((r: { priority: string }) => r.priority));
      token = page.body.nextToken;
    } while (token);
    expect(seen).toEqual(["5", "10", "20", "30", "default"]);
  });

  test("the default rule can be neither deleted, re-prioritised nor given conditions", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    await rule(api, listenerId, 1);
    const list = await api.request("GET", `/v1/listeners/${listenerId}/rules`);
    const defaultRule = list.body.rules.find((r: { isDefault: boolean }) => r.isDefault);
    const id = lastSegment(defaultRule.ruleArn);
    const versions = api.events.versions.length;
    expectError(await api.request("DELETE", `/v1/rules/${id}`), 409, "OperationNotPermitted");
    expectError(
      await api.request("PUT", `/v1/listeners/${listenerId}/rule-priorities`, {
        rulePriorities: [{ ruleArn: defaultRule.ruleArn, priority: 3 }],
      }),
      409,
      "OperationNotPermitted",
    );
    expectError(
      await api.request("PATCH", `/v1/rules/${id}`, {
        conditions: [{ field: "path-pattern", values: ["/"] }],
      }),
      409,
      "OperationNotPermitted",
    );
    expect(api.events.versions.length).toBe(versions);
    // Its actions may change, and the listener's default actions follow.
    const patched = await api.request("PATCH", `/v1/rules/${id}`, { actions: [fixed("default")] });
    expectStatus(patched, 200);
    const listener = await api.request("GET", `/v1/listeners/${listenerId}`);
    expect(listener.body.defaultActions).toEqual([fixed("default")]);
  });

  test("rule-priorities swaps two rules in one call and refuses clashes", async ({ api }) => {
    const { listenerId } = await seedWeb(api);
    const a = await rule(api, listenerId, 1, "/a");
    const b = await rule(api, listenerId, 2, "/b");
    const c = await rule(api, listenerId, 3, "/c");
    const versions = api.events.versions.length;
    const swapped = await api.request("PUT", `/v1/listeners/${listenerId}/rule-priorities`, {
      rulePriorities: [
        { ruleArn: a.ruleArn, priority: 2 },
        { ruleArn: b.ruleArn, priority: 1 },
      ],
    });
    expectStatus(swapped, 200);
    expect(
      swapped.body.rules.map((r: { ruleArn: string; priority: string }) => [r.ruleArn, r.priority]),
    ).toEqual([
      [a.ruleArn, "2"],
      [b.ruleArn, "1"],
    ]);
    expect(api.events.versions.length).toBe(versions + 1);
    const list = await api.request("GET", `/v1/listeners/${listenerId}/rules`);
    expect(
      list.body.rules.map((r: { conditions: Array<{ values: string[] }> }) => r.conditions[0]?.values[0]),
    ).toEqual(["/b", "/a", "/c", undefined]);

    const url = `/v1/listeners/${listenerId}/rule-priorities`;
    // Onto a priority another rule keeps.
    expectError(
      await api.request("PUT", url, { rulePriorities: [{ ruleArn: a.ruleArn, priority: 3 }] }),
      409,
      "PriorityInUse",
    );
    // The same priority twice in one call.
    expectError(
      await api.request("PUT", url, {
        rulePriorities: [
          { ruleArn: a.ruleArn, priority: 9 },
          { ruleArn: c.ruleArn, priority: 9 },
        ],
      }),
      409,
      "PriorityInUse",
    );
    expectError(
      await api.request("PUT", url, { rulePriorities: [{ ruleArn: a.ruleArn, priority: 0 }] }),
      400,
      "ValidationError",
    );
    expectError(await api.request("PUT", url, { rulePriorities: [] }), 400, "ValidationError");
    expectError(
      await api.request("PUT", url, {
        rulePriorities: [{ ruleArn: `${a.ruleArn.slice(0, -16)}0000000000000000`, priority: 8 }],
      }),
      404,
      "RuleNotFound",
    );
    // A refused call changed nothing.
    const after = await api.request("GET", `/v1/listeners/${listenerId}/rules`);
    expect(after.body.rules.map((r: { priority: string }) => r.priority)).toEqual(["1", "2", "3", "default"]);
    expect(after.body.rules[1].ruleArn).toBe(a.ruleArn);
  });

  test("patch replaces conditions and actions; priority is refused; delete answers 204 then 404", async ({
    api,
  }) => {
    const { listenerId } = await seedWeb(api);
    const made = await rule(api, listenerId, 4);
    const id = lastSegment(made.ruleArn);
    const patched = await api.request("PATCH", `/v1/rules/${id}`, {
      conditions: [{ field: "host-header", values: ["api.test"] }],
      actions: [fixed("patched")],
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({
      priority: "4",
      conditions: [{ field: "host-header", values: ["api.test"] }],
      actions: [fixed("patched")],
    });
    expectError(await api.request("PATCH", `/v1/rules/${id}`, { priority: 5 }), 400, "ValidationError");
    expectError(
      await api.request("PATCH", `/v1/rules/${id}`, { conditions: [{ field: "path-pattern", values: [] }] }),
      400,
      "ValidationError",
    );
    expectStatus(await api.request("DELETE", `/v1/rules/${id}`), 204);
    expectError(await api.request("GET", `/v1/rules/${id}`), 404, "RuleNotFound");
    expectError(await api.request("DELETE", `/v1/rules/${id}`), 404, "RuleNotFound");
    expectError(
      await api.request("PATCH", `/v1/rules/${id}`, { actions: [fixed("x")] }),
      404,
      "RuleNotFound",
    );
  });
});
