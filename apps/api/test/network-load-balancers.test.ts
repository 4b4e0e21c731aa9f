import { describe, expect } from "vitest";
import { expectError, expectStatus, lastSegment, apiTest as test } from "./helpers.ts";

// Network Load Balancers through the REST door: the same service as the AWS door, with REST's statuses.

describe("network load balancers over REST", () => {
  test("an NLB with a TCP listener, a TCP target group and their attributes", async ({ api }) => {
    const lb = await api.request("POST", "/v1/load-balancers", { name: "nlb", type: "network" });
    expectStatus(lb, 201);
    expect(lb.body).toMatchObject({
      type: "network",
      loadBalancerArn: expect.stringMatching(/:loadbalancer\/net\/nlb\/[0-9a-f]{16}$/),
    });
    const lbAttributes = await api.request("GET", "/v1/load-balancers/nlb/attributes");
    expectStatus(lbAttributes, 200);
    expect(lbAttributes.body).toMatchObject({
      attributes: expect.arrayContaining([{ key: "load_balancing.cross_zone.enabled", value: "false" }]),
    });

    const tg = await api.request("POST", "/v1/target-groups", { name: "tcp", protocol: "TCP", port: 9000 });
    expectStatus(tg, 201);
    expect(tg.body).toMatchObject({
      protocol: "TCP",
      healthCheckProtocol: "TCP",
      healthCheckTimeoutSeconds: 10,
    });
    expect(tg.body).not.toHaveProperty("healthCheckPath");
    expect(tg.body).not.toHaveProperty("matcher");
    const targetGroupArn = (tg.body as { targetGroupArn: string }).targetGroupArn;

    const tgAttributes = await api.request("PATCH", "/v1/target-groups/tcp/attributes", {
      attributes: [{ key: "proxy_protocol_v2.enabled", value: "true" }],
    });
    expectStatus(tgAttributes, 200);
    const slowStart = await api.request("PATCH", "/v1/target-groups/tcp/attributes", {
      attributes: [{ key: "slow_start.duration_seconds", value: "30" }],
    });
    expectError(slowStart, 400, "ValidationError");

    const listener = await api.request("POST", "/v1/load-balancers/nlb/listeners", {
      protocol: "TCP",
      port: 7201,
      defaultActions: [{ type: "forward", targetGroupArn }],
    });
    expectStatus(listener, 201);
    const id = lastSegment((listener.body as { listenerArn: string }).listenerArn);
    const attributes = await api.request("GET", `/v1/listeners/${id}/attributes`);
    expectStatus(attributes, 200);
    expect(attributes.body).toEqual({ attributes: [{ key: "tcp.idle_timeout.seconds", value: "350" }] });
    const modified = await api.request("PATCH", `/v1/listeners/${id}/attributes`, {
      attributes: [{ key: "tcp.idle_timeout.seconds", value: "600" }],
    });
    expectStatus(modified, 200);
    expect(modified.body).toEqual({ attributes: [{ key: "tcp.idle_timeout.seconds", value: "600" }] });
    const outOfRange = await api.request("PATCH", `/v1/listeners/${id}/attributes`, {
      attributes: [{ key: "tcp.idle_timeout.seconds", value: "30" }],
    });
    expectError(outOfRange, 400, "ValidationError");
    const missing = await api.request("GET", "/v1/listeners/0123456789abcdef/attributes");
    expectError(missing, 404, "ListenerNotFound");

    // AWS's refusals, with REST's statuses.
    const http = await api.request("POST", "/v1/load-balancers/nlb/listeners", {
      protocol: "HTTP",
      port: 7202,
      defaultActions: [{ type: "forward", targetGroupArn }],
    });
    expectError(http, 400, "ValidationError");
    const fixed = await api.request("POST", "/v1/load-balancers/nlb/listeners", {
      protocol: "TCP",
      port: 7202,
      defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }],
    });
    expectError(fixed, 400, "InvalidLoadBalancerAction");
    const udp = await api.request("POST", "/v1/load-balancers/nlb/listeners", {
      protocol: "UDP",
      port: 7203,
      defaultActions: [{ type: "forward", targetGroupArn }],
    });
    expectError(udp, 400, "IncompatibleProtocols");
    const alpn = await api.request("PATCH", `/v1/listeners/${id}`, { alpnPolicy: ["HTTP2Only"] });
    expectError(alpn, 400, "ValidationError");
    const rule = await api.request("POST", `/v1/listeners/${id}/rules`, {
      priority: 1,
      conditions: [{ field: "path-pattern", values: ["/a"] }],
      actions: [{ type: "forward", targetGroupArn }],
    });
    expectError(rule, 400, "InvalidConfigurationRequest");
  });
});
