import { describe, expect } from "vitest";
import { expectError, expectStatus, apiTest as test } from "./helpers.ts";

describe("load balancers", () => {
  test("create answers 201 with an ARN, a dnsName and state provisioning, and bumps the version", async ({
    api,
  }) => {
    const created = await api.request("POST", "/v1/load-balancers", { name: "web" });
    expectStatus(created, 201);
    expect(created.body).toMatchObject({
      loadBalancerName: "web",
      scheme: "internet-facing",
      type: "application",
      ipAddressType: "ipv4",
      state: { code: "provisioning" },
    });
    expect(created.body.loadBalancerArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/web\/[0-9a-f]{16}$/,
    );
    expect(created.body.dnsName).toMatch(/^web-\d+\.elb\.localhost$/);
    expect(Date.parse(created.body.createdTime)).not.toBeNaN();
    expect(api.events.versions).toEqual([1]);

    const internal = await api.request("POST", "/v1/load-balancers", { name: "inside", scheme: "internal" });
    expectStatus(internal, 201);
    expect(internal.body.dnsName).toMatch(/^internal-inside-\d+\.elb\.localhost$/);
    expect(api.events.versions).toEqual([1, 2]);
  });

  test("the same create again answers 200 with the same ARN and commits nothing", async ({ api }) => {
    const first = await api.request("POST", "/v1/load-balancers", { name: "web" });
    const again = await api.request("POST", "/v1/load-balancers", { name: "web" });
    expectStatus(again, 200);
    expect(again.body).toEqual(first.body);
    expect(api.events.versions).toEqual([1]);
  });

  test("a create with the same name and other settings is DuplicateLoadBalancerName", async ({ api }) => {
    await api.request("POST", "/v1/load-balancers", { name: "web" });
    const clash = await api.request("POST", "/v1/load-balancers", { name: "web", scheme: "internal" });
    expectError(clash, 409, "DuplicateLoadBalancerName", /web/);
    const list = await api.request("GET", "/v1/load-balancers");
    expect(list.body.loadBalancers).toHaveLength(1);
  });

  test("names and settings outside AWS's rules are ValidationError", async ({ api }) => {
    for (const body of [
      { name: "-web" },
      { name: "web-" },
      { name: "a".repeat(33) },
      { name: "internal-web" },
      { name: "web_1" },
      { name: "" },
      { name: "web", scheme: "public" },
      { name: "web", type: "gateway" },
      { name: "web", ipAddressType: "ipv6" },
      {},
    ]) {
      const reply = await api.request("POST", "/v1/load-balancers", body);
      expectError(reply, 400, "ValidationError");
    }
    expect(api.events.versions).toEqual([]);
  });

  test("list paginates with pageSize and nextToken, in name order", async ({ api }) => {
    const names = ["e", "c", "a", "d", "b"];
    for (const name of names) expectStatus(await api.request("POST", "/v1/load-balancers", { name }), 201);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `pageSize=2${token ? `&nextToken=${encodeURIComponent(token)}` : ""}`;
      const page = await api.request("GET", `/v1/load-balancers?${query}`);
      expectStatus(page, 200);
      expect(page.body.loadBalancers.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.loadBalancers.map((lb: { loadBalancerName: string }) => lb.loadBalancerName));
      token = page.body.nextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
    expect(pages).toBe(3);

    const all = await api.request("GET", "/v1/load-balancers");
    expect(all.body.loadBalancers).toHaveLength(5);
    expect(all.body.nextToken).toBeUndefined();

    expectError(await api.request("GET", "/v1/load-balancers?nextToken=garbage"), 400, "InvalidNextToken");
    expectError(await api.request("GET", "/v1/load-balancers?pageSize=0"), 400, "ValidationError");
    expectError(await api.request("GET", "/v1/load-balancers?pageSize=401"), 400, "ValidationError");
    expectError(await api.request("GET", "/v1/load-balancers?pageSize=abc"), 400, "ValidationError");
    expectError(await api.request("GET", "/v1/load-balancers?colour=red"), 400, "ValidationError");
  });

  test("get by name and by ARN; an unknown name is LoadBalancerNotFound", async ({ api }) => {
    const created = await api.request("POST", "/v1/load-balancers", { name: "web" });
    const byName = await api.request("GET", "/v1/load-balancers/web");
    expectStatus(byName, 200);
    expect(byName.body).toEqual(created.body);
    const byArn = await api.request(
      "GET",
      `/v1/load-balancers/${encodeURIComponent(created.body.loadBalancerArn)}`,
    );
    expect(byArn.body).toEqual(created.body);
    expectError(await api.request("GET", "/v1/load-balancers/nope"), 404, "LoadBalancerNotFound", /nope/);
  });

  test("attributes: AWS defaults, patch of known keys, refusal of unknown keys and bad values", async ({
    api,
  }) => {
    await api.request("POST", "/v1/load-balancers", { name: "web" });
    const read = await api.request("GET", "/v1/load-balancers/web/attributes");
    expectStatus(read, 200);
    const attributes = Object.fromEntries(
      read.body.attributes.map((a: { key: string; value: string }) => [a.key, a.value]),
    );
    expect(attributes).toMatchObject({
      "deletion_protection.enabled": "false",
      "idle_timeout.timeout_seconds": "60",
      "routing.http2.enabled": "true",
      "routing.http.desync_mitigation_mode": "defensive",
    });

    const versions = api.events.versions.length;
    const patched = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
      attributes: [
        { key: "idle_timeout.timeout_seconds", value: "120" },
        { key: "routing.http2.enabled", value: "false" },
      ],
    });
    expectStatus(patched, 200);
    expect(patched.body.attributes).toContainEqual({ key: "idle_timeout.timeout_seconds", value: "120" });
    expect(patched.body.attributes).toContainEqual({ key: "routing.http2.enabled", value: "false" });
    expect(api.events.versions.length).toBe(versions + 1);

    const badKey = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
      attributes: [{ key: "no.such.key", value: "1" }],
    });
    expectError(badKey, 400, "ValidationError", /no\.such\.key/);
    for (const [key, value] of [
      ["idle_timeout.timeout_seconds", "0"],
      ["idle_timeout.timeout_seconds", "4001"],
      ["idle_timeout.timeout_seconds", "ten"],
      ["deletion_protection.enabled", "yes"],
      ["routing.http.desync_mitigation_mode", "lenient"],
    ]) {
      const reply = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
        attributes: [{ key, value }],
      });
      expectError(reply, 400, "ValidationError");
    }
    // A refused request changes nothing, not even the valid keys it carried.
    const mixed = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
      attributes: [
        { key: "idle_timeout.timeout_seconds", value: "300" },
        { key: "deletion_protection.enabled", value: "maybe" },
      ],
    });
    expectError(mixed, 400, "ValidationError");
    const after = await api.request("GET", "/v1/load-balancers/web/attributes");
    expect(after.body.attributes).toContainEqual({ key: "idle_timeout.timeout_seconds", value: "120" });

    expectError(
      await api.request("PATCH", "/v1/load-balancers/web/attributes", { attributes: [] }),
      400,
      "ValidationError",
    );
    expectError(await api.request("GET", "/v1/load-balancers/nope/attributes"), 404, "LoadBalancerNotFound");
  });

  test("desync mitigation mode and drop_invalid_header_fields: AWS defaults, each value, bad values refused", async ({
    api,
  }) => {
    await api.request("POST", "/v1/load-balancers", { name: "web" });
    const read = await api.request("GET", "/v1/load-balancers/web/attributes");
    expect(read.body.attributes).toContainEqual({
      key: "routing.http.desync_mitigation_mode",
      value: "defensive",
    });
    expect(read.body.attributes).toContainEqual({
      key: "routing.http.drop_invalid_header_fields.enabled",
      value: "false",
    });
    for (const [key, value] of [
      ["routing.http.desync_mitigation_mode", "monitor"],
      ["routing.http.desync_mitigation_mode", "strictest"],
      ["routing.http.desync_mitigation_mode", "defensive"],
      ["routing.http.drop_invalid_header_fields.enabled", "true"],
      ["routing.http.drop_invalid_header_fields.enabled", "false"],
    ] as const) {
      const reply = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
        attributes: [{ key, value }],
      });
      expectStatus(reply, 200);
      expect(reply.body.attributes).toContainEqual({ key, value });
    }
    for (const [key, value] of [
      ["routing.http.desync_mitigation_mode", "Strictest"],
      ["routing.http.desync_mitigation_mode", ""],
      ["routing.http.drop_invalid_header_fields.enabled", "yes"],
      ["routing.http.drop_invalid_header_fields.enabled", "TRUE"],
    ] as const) {
      const reply = await api.request("PATCH", "/v1/load-balancers/web/attributes", {
        attributes: [{ key, value }],
      });
      expectError(reply, 400, "ValidationError", new RegExp(key.replaceAll(".", "\\.")));
    }
    const after = await api.request("GET", "/v1/load-balancers/web/attributes");
    expect(after.body.attributes).toContainEqual({
      key: "routing.http.desync_mitigation_mode",
      value: "defensive",
    });
  });

  test("deletion protection refuses the delete with OperationNotPermitted until it is turned off", async ({
    api,
  }) => {
    await api.request("POST", "/v1/load-balancers", { name: "web" });
    await api.request("PATCH", "/v1/load-balancers/web/attributes", {
      attributes: [{ key: "deletion_protection.enabled", value: "true" }],
    });
    const versions = api.events.versions.length;
    expectError(await api.request("DELETE", "/v1/load-balancers/web"), 409, "OperationNotPermitted");
    expect(api.events.versions.length).toBe(versions);
    expectStatus(await api.request("GET", "/v1/load-balancers/web"), 200);

    await api.request("PATCH", "/v1/load-balancers/web/attributes", {
      attributes: [{ key: "deletion_protection.enabled", value: "false" }],
    });
    expectStatus(await api.request("DELETE", "/v1/load-balancers/web"), 204);
  });

  test("delete answers 204 with no body, takes the listeners along, then 404", async ({ api }) => {
    await api.request("POST", "/v1/load-balancers", { name: "web" });
    const listener = await api.request("POST", "/v1/load-balancers/web/listeners", {
      protocol: "HTTP",
      port: 8080,
      defaultActions: [
        { type: "fixed-response", fixedResponseConfig: { statusCode: "200", messageBody: "hi" } },
      ],
    });
    expectStatus(listener, 201);
    const id = listener.body.listenerArn.split("/").pop();

    const deleted = await api.request("DELETE", "/v1/load-balancers/web");
    expectStatus(deleted, 204);
    expect(deleted.raw.body).toBe("");
    expectError(await api.request("GET", "/v1/load-balancers/web"), 404, "LoadBalancerNotFound");
    expectError(await api.request("DELETE", "/v1/load-balancers/web"), 404, "LoadBalancerNotFound");
    expectError(await api.request("GET", `/v1/listeners/${id}`), 404, "ListenerNotFound");
    // The port is free again.
    await api.request("POST", "/v1/load-balancers", { name: "web2" });
    expectStatus(
      await api.request("POST", "/v1/load-balancers/web2/listeners", {
        protocol: "HTTP",
        port: 8080,
        defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }],
      }),
      201,
    );
  });
});
