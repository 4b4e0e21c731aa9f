import { describe, expect, it } from "vitest";
import {
  compileConditions,
  normalizeConditions,
  parseCidr,
  type RequestFacts,
  wildcardRegExp,
} from "./conditions.ts";
import type { RuleCondition } from "./types.ts";

/*
 * From the ELB User Guide, "Listener rules for your Application Load Balancer", condition types:
 * path-pattern is case-sensitive and matches the path only; host-header, http-header values and
 * query-string are case-insensitive; `*` matches zero or more characters and `?` exactly one;
 * source-ip is CIDR on the connection's address; every condition of a rule must hold, any value of each.
 */

const request = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  method: "GET",
  path: "/",
  query: "",
  host: "app.example.com",
  headers: {},
  sourceIp: "127.0.0.1",
  ...overrides,
});

const matches = (conditions: RuleCondition[], facts: Partial<RequestFacts>) =>
  compileConditions(conditions)(request(facts));

describe("wildcardRegExp", () => {
  it("* is any run, ? exactly one, everything else literal", () => {
    const re = wildcardRegExp("/img/*.p?g", false);
    expect(re.test("/img/a/b.png")).toBe(true);
    expect(re.test("/img/.pug")).toBe(true);
    expect(re.test("/img/a.jpg")).toBe(false);
    expect(re.test("/img/a.pnng")).toBe(false);
    expect(wildcardRegExp("a.b", false).test("axb")).toBe(false);
    expect(wildcardRegExp("(x)+[y]", false).test("(x)+[y]")).toBe(true);
  });
});

describe("compileConditions", () => {
  it("path-pattern: case-sensitive, whole path", () => {
    const c: RuleCondition[] = [{ field: "path-pattern", values: ["/admin/*"] }];
    expect(matches(c, { path: "/admin/x" })).toBe(true);
    expect(matches(c, { path: "/Admin/x" })).toBe(false);
    expect(matches(c, { path: "/x/admin/x" })).toBe(false);
  });

  it("host-header: case-insensitive with wildcards", () => {
    const c: RuleCondition[] = [{ field: "host-header", values: ["*.Example.com"] }];
    expect(matches(c, { host: "API.example.COM" })).toBe(true);
    expect(matches(c, { host: "example.com" })).toBe(false);
  });

  it("http-header: any of a repeated header's values", () => {
    const c: RuleCondition[] = [
      { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Env", values: ["stag*"] } },
    ];
    expect(matches(c, { headers: { "x-env": ["prod", "STAGING"] } })).toBe(true);
    expect(matches(c, { headers: { "x-env": "prod" } })).toBe(false);
    expect(matches(c, { headers: {} })).toBe(false);
  });

  it("http-request-method: exact", () => {
    const c: RuleCondition[] = [
      { field: "http-request-method", httpRequestMethodConfig: { values: ["POST"] } },
    ];
    expect(matches(c, { method: "POST" })).toBe(true);
    expect(matches(c, { method: "post" })).toBe(false);
  });

  it("query-string: decoded pairs, key-less values match any key", () => {
    const c: RuleCondition[] = [
      {
        field: "query-string",
        queryStringConfig: { values: [{ key: "version", value: "v2*" }, { value: "beta" }] },
      },
    ];
    expect(matches(c, { query: "a=1&version=V2.1" })).toBe(true);
    expect(matches(c, { query: "flag=beta" })).toBe(true);
    expect(matches(c, { query: "version=v1" })).toBe(false);
    expect(matches(c, { query: "version=v%32" })).toBe(true);
    expect(matches(c, { query: "" })).toBe(false);
  });

  it("source-ip: IPv4 and IPv6 CIDRs; an IPv4-mapped address matches an IPv4 block", () => {
    const c: RuleCondition[] = [
      { field: "source-ip", sourceIpConfig: { values: ["10.0.0.0/8", "2001:db8::/32"] } },
    ];
    expect(matches(c, { sourceIp: "10.1.2.3" })).toBe(true);
    expect(matches(c, { sourceIp: "::ffff:10.1.2.3" })).toBe(true);
    expect(matches(c, { sourceIp: "2001:db8:1::5" })).toBe(true);
    expect(matches(c, { sourceIp: "11.0.0.1" })).toBe(false);
    expect(matches(c, { sourceIp: "not an address" })).toBe(false);
  });

  it("every condition must hold", () => {
    const c: RuleCondition[] = [
      { field: "path-pattern", values: ["/api/*"] },
      { field: "http-request-method", httpRequestMethodConfig: { values: ["GET"] } },
    ];
    expect(matches(c, { path: "/api/x", method: "GET" })).toBe(true);
    expect(matches(c, { path: "/api/x", method: "PUT" })).toBe(false);
  });
});

describe("parseCidr", () => {
  it("accepts prefixes up to the address width only", () => {
    expect(parseCidr("192.0.2.0/24")).toMatchObject({ width: 32, prefix: 24 });
    expect(parseCidr("192.0.2.0/33")).toBeUndefined();
    expect(parseCidr("::/0")).toMatchObject({ width: 128, prefix: 0 });
    expect(parseCidr("192.0.2.0")).toBeUndefined();
    expect(parseCidr("192.0.2.0/24/1")).toBeUndefined();
  });
});

describe("normalizeConditions", () => {
  it("refuses no conditions, a repeated singular condition, and values on http-header", () => {
    expect(() => normalizeConditions([])).toThrow();
    expect(() =>
      normalizeConditions([
        { field: "path-pattern", values: ["/a"] },
        { field: "path-pattern", values: ["/b"] },
      ]),
    ).toThrow(/only one 'path-pattern'/);
    expect(() => normalizeConditions([{ field: "http-header", values: ["x"] }])).toThrow();
  });

  it("answers path-pattern in both forms, as DescribeRules shows it", () => {
    const [condition] = normalizeConditions([{ field: "path-pattern", values: ["/a/*"] }]);
    expect(condition?.values).toEqual(["/a/*"]);
    expect(condition?.pathPatternConfig?.values).toEqual(["/a/*"]);
  });
});
