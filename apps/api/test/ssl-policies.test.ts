import { describe, expect } from "vitest";
import { expectError, expectStatus, apiTest as test } from "./helpers.ts";

describe("GET /v1/ssl-policies (DescribeSSLPolicies)", () => {
  test("lists AWS's policies with protocols and prioritised ciphers, in pages", async ({ api }) => {
    const all: Array<{ name: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await api.request(
        "GET",
        `/v1/ssl-policies?pageSize=7${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ""}`,
      );
      expectStatus(page, 200);
      expect(page.body.sslPolicies.length).toBeLessThanOrEqual(7);
      all.push(...page.body.sslPolicies);
      nextToken = page.body.nextToken;
    } while (nextToken);
    const names = all.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
    expect(names).toContain("ELBSecurityPolicy-FS-1-2-Res-2020-10");
    const unpaged = await api.request("GET", "/v1/ssl-policies?pageSize=400");
    expect(unpaged.body.sslPolicies.map((p: { name: string }) => p.name)).toEqual(names);
  });

  test("names select policies; an unknown name is SSLPolicyNotFound", async ({ api }) => {
    const two = await api.request(
      "GET",
      "/v1/ssl-policies?names=ELBSecurityPolicy-TLS13-1-3-2021-06&names=ELBSecurityPolicy-2016-08",
    );
    expectStatus(two, 200);
    expect(two.body.sslPolicies).toHaveLength(2);
    const tls13 = two.body.sslPolicies.find(
      (p: { name: string }) => p.name === "ELBSecurityPolicy-TLS13-1-3-2021-06",
    );
    expect(tls13).toEqual({
      name: "ELBSecurityPolicy-TLS13-1-3-2021-06",
      sslProtocols: ["TLSv1.3"],
      ciphers: [
        { name: "TLS_AES_128_GCM_SHA256", priority: 1 },
        { name: "TLS_AES_256_GCM_SHA384", priority: 2 },
        { name: "TLS_CHACHA20_POLY1305_SHA256", priority: 3 },
      ],
      supportedLoadBalancerTypes: ["application", "network"],
    });
    const one = await api.request("GET", "/v1/ssl-policies?names=ELBSecurityPolicy-2016-08");
    expect(one.body.sslPolicies.map((p: { name: string }) => p.name)).toEqual(["ELBSecurityPolicy-2016-08"]);
    expectError(
      await api.request("GET", "/v1/ssl-policies?names=ELBSecurityPolicy-2016-08&names=Nope"),
      404,
      "SSLPolicyNotFound",
      /Nope/,
    );
  });

  test("filters by load balancer type and refuses bad input", async ({ api }) => {
    const gateway = await api.request("GET", "/v1/ssl-policies?loadBalancerType=gateway");
    expectStatus(gateway, 200);
    expect(gateway.body.sslPolicies).toEqual([]);
    const application = await api.request(
      "GET",
      "/v1/ssl-policies?loadBalancerType=application&pageSize=400",
    );
    expect(application.body.sslPolicies.length).toBeGreaterThan(30);
    expectError(
      await api.request("GET", "/v1/ssl-policies?loadBalancerType=classic"),
      400,
      "ValidationError",
    );
    expectError(await api.request("GET", "/v1/ssl-policies?pageSize=0"), 400, "ValidationError");
    expectError(await api.request("GET", "/v1/ssl-policies?nextToken=garbage"), 400, "InvalidNextToken");
    expectError(await api.request("GET", "/v1/ssl-policies?colour=red"), 400, "ValidationError");
  });
});
