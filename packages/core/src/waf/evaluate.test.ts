import { describe, expect, it } from "vitest";
import { evaluateWebAcl } from "./evaluate.ts";
import { RateLimiterStore } from "./rate-limiter.ts";
import type { WafRequest } from "./request-view.ts";
import type { RuleAction, Statement, WafRule, WebAcl } from "./types.ts";
import { compileIpSets, compileWebAcl } from "./web-acl.ts";

const visibility = { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: "m" };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const ipSetArn = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/bad/1";

function rule(
  name: string,
  priority: number,
  statement: Statement,
  action: RuleAction,
  extra: Partial<WafRule> = {},
): WafRule {
  return {
    Name: name,
    Priority: priority,
    Statement: statement,
    Action: action,
    VisibilityConfig: { ...visibility, MetricName: name },
    ...extra,
  };
}

function acl(rules: WafRule[], extra: Partial<WebAcl> = {}): WebAcl {
  return {
    Name: "web",
    Id: "1",
    ARN: "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/web/1",
    DefaultAction: { Allow: {} },
    Rules: rules,
    VisibilityConfig: visibility,
    Capacity: 1,
    LabelNamespace: "awswaf:000000000000:webacl:web:",
    ...extra,
  };
}

function request(extra: Partial<WafRequest> = {}): WafRequest {
  return { method: "GET", uriPath: "/", queryString: "", headers: {}, sourceIp: "127.0.0.2", ...extra };
}

function verdictOf(web: WebAcl, req: WafRequest, now = 0, store = new RateLimiterStore()) {
  const sets = compileIpSets([
    {
      Name: "bad",
      Id: "1",
      ARN: ipSetArn,
      IPAddressVersion: "IPV4",
      Addresses: ["127.0.0.4/32", "10.0.0.0/8"],
    },
  ]);
  return evaluateWebAcl(compileWebAcl(web, sets, store), req, now);
}

const byteMatch = (
  search: string,
  field: Statement["ByteMatchStatement"] extends infer T
    ? T extends { FieldToMatch: infer F }
      ? F
      : never
    : never,
  constraint = "CONTAINS",
  transforms: Array<"NONE" | "URL_DECODE" | "LOWERCASE"> = ["NONE"],
): Statement => ({
  ByteMatchStatement: {
    SearchString: b64(search),
    FieldToMatch: field,
    PositionalConstraint: constraint as "CONTAINS",
    TextTransformations: transforms.map((Type, Priority) => ({ Type, Priority })),
  },
});

describe("web ACL evaluation", () => {
  it("byte match on a URL-decoded path, each positional constraint", () => {
    const web = acl([
      rule("admin", 1, byteMatch("/admin", { UriPath: {} }, "STARTS_WITH", ["URL_DECODE"]), { Block: {} }),
    ]);
    expect(verdictOf(web, request({ uriPath: "/%61dmin/x" })).action).toBe("BLOCK");
    expect(verdictOf(web, request({ uriPath: "/public" })).action).toBe("ALLOW");
    const exact = acl([rule("m", 1, byteMatch("DELETE", { Method: {} }, "EXACTLY"), { Block: {} })]);
    expect(verdictOf(exact, request({ method: "DELETE" })).action).toBe("BLOCK");
    const word = acl([
      rule("w", 1, byteMatch("select", { QueryString: {} }, "CONTAINS_WORD", ["LOWERCASE"]), { Block: {} }),
    ]);
    expect(verdictOf(word, request({ queryString: "q=SELECT+1" })).action).toBe("BLOCK");
    expect(verdictOf(word, request({ queryString: "q=selected" })).action).toBe("ALLOW");
    const header = acl([
      rule("h", 1, byteMatch("bot", { SingleHeader: { Name: "User-Agent" } }, "ENDS_WITH"), { Block: {} }),
    ]);
    expect(verdictOf(header, request({ headers: { "user-agent": "evil-bot" } })).action).toBe("BLOCK");
    expect(verdictOf(header, request()).action).toBe("ALLOW");
    const arg = acl([
      rule("a", 1, byteMatch("1", { SingleQueryArgument: { Name: "Debug" } }, "EXACTLY"), { Block: {} }),
    ]);
    expect(verdictOf(arg, request({ queryString: "debug=1" })).action).toBe("BLOCK");
    const body = acl([rule("b", 1, byteMatch("<script", { Body: {} }), { Block: {} })]);
    expect(verdictOf(body, request({ body: "x=<script>" })).action).toBe("BLOCK");
  });

  it("size constraint, regex and IP set", () => {
    const size = acl([
      rule(
        "long",
        1,
        {
          SizeConstraintStatement: {
            FieldToMatch: { QueryString: {} },
            ComparisonOperator: "GT",
            Size: 10,
            TextTransformations: [{ Type: "NONE", Priority: 0 }],
          },
        },
        { Block: {} },
      ),
    ]);
    expect(verdictOf(size, request({ queryString: "a".repeat(11) })).action).toBe("BLOCK");
    expect(verdictOf(size, request({ queryString: "a".repeat(10) })).action).toBe("ALLOW");
    const regex = acl([
      rule(
        "re",
        1,
        {
          RegexMatchStatement: {
            RegexString: "\\.php$",
            FieldToMatch: { UriPath: {} },
            TextTransformations: [{ Type: "NONE", Priority: 0 }],
          },
        },
        { Block: {} },
      ),
    ]);
    expect(verdictOf(regex, request({ uriPath: "/x.php" })).action).toBe("BLOCK");
    const ips = acl([rule("ips", 1, { IPSetReferenceStatement: { ARN: ipSetArn } }, { Block: {} })]);
    expect(verdictOf(ips, request({ sourceIp: "127.0.0.4" })).action).toBe("BLOCK");
    expect(verdictOf(ips, request({ sourceIp: "127.0.0.3" })).action).toBe("ALLOW");
    const forwarded = acl([
      rule(
        "fwd",
        1,
        {
          IPSetReferenceStatement: {
            ARN: ipSetArn,
            IPSetForwardedIPConfig: {
              HeaderName: "X-Forwarded-For",
              FallbackBehavior: "MATCH",
              Position: "LAST",
            },
          },
        },
        { Block: {} },
      ),
    ]);
    expect(
      verdictOf(forwarded, request({ headers: { "x-forwarded-for": "1.1.1.1, 10.2.3.4" } })).action,
    ).toBe("BLOCK");
    expect(
      verdictOf(forwarded, request({ headers: { "x-forwarded-for": "10.2.3.4, 1.1.1.1" } })).action,
    ).toBe("ALLOW");
    expect(verdictOf(forwarded, request({ headers: { "x-forwarded-for": "garbage" } })).action).toBe("BLOCK");
  });

  it("Count continues, labels reach later rules, headers are inserted with WAF's prefix", () => {
    const web = acl([
      rule(
        "count",
        1,
        byteMatch("/", { UriPath: {} }),
        { Count: { CustomRequestHandling: { InsertHeaders: [{ Name: "seen", Value: "yes" }] } } },
        { RuleLabels: [{ Name: "flag:seen" }] },
      ),
      rule(
        "by-label",
        2,
        { LabelMatchStatement: { Scope: "LABEL", Key: "flag:seen" } },
        { Allow: { CustomRequestHandling: { InsertHeaders: [{ Name: "ok", Value: "1" }] } } },
      ),
    ]);
    const verdict = verdictOf(web, request());
    expect(verdict.action).toBe("ALLOW");
    expect(verdict.rule?.name).toBe("by-label");
    expect(verdict.counted.map((r) => r.name)).toEqual(["count"]);
    expect(verdict.labels).toEqual(["awswaf:000000000000:webacl:web:flag:seen"]);
    expect(verdict.insertHeaders).toEqual([
      ["x-amzn-waf-seen", "yes"],
      ["x-amzn-waf-ok", "1"],
    ]);
    const namespace = acl([
      rule(
        "count",
        1,
        byteMatch("/", { UriPath: {} }),
        { Count: {} },
        { RuleLabels: [{ Name: "flag:seen" }] },
      ),
      rule("ns", 2, { LabelMatchStatement: { Scope: "NAMESPACE", Key: "flag:" } }, { Block: {} }),
    ]);
    expect(verdictOf(namespace, request()).rule?.name).toBe("ns");
  });

  it("Block answers WAF's 403 or the custom response; the default action decides when no rule does", () => {
    expect(
      verdictOf(acl([rule("all", 1, byteMatch("/", { UriPath: {} }), { Block: {} })]), request()).response
        ?.status,
    ).toBe(403);
    const custom = acl(
      [
        rule("all", 1, byteMatch("/", { UriPath: {} }), {
          Block: {
            CustomResponse: {
              ResponseCode: 429,
              CustomResponseBodyKey: "slow",
              ResponseHeaders: [{ Name: "retry-after", Value: "60" }],
            },
          },
        }),
      ],
      { CustomResponseBodies: { slow: { ContentType: "APPLICATION_JSON", Content: '{"slow":"down"}' } } },
    );
    const response = verdictOf(custom, request()).response;
    expect(response?.status).toBe(429);
    expect(response?.body).toBe('{"slow":"down"}');
    expect(response?.headers).toContainEqual(["retry-after", "60"]);
    expect(response?.headers).toContainEqual(["content-type", "application/json"]);
    const blockAll = acl([], { DefaultAction: { Block: {} } });
    expect(verdictOf(blockAll, request()).action).toBe("BLOCK");
    const not = acl([
      rule(
        "not",
        1,
        { NotStatement: { Statement: byteMatch("GET", { Method: {} }, "EXACTLY") } },
        { Block: {} },
      ),
    ]);
    expect(verdictOf(not, request({ method: "POST" })).action).toBe("BLOCK");
    const and = acl([
      rule(
        "and",
        1,
        {
          AndStatement: {
            Statements: [
              byteMatch("GET", { Method: {} }, "EXACTLY"),
              byteMatch("/x", { UriPath: {} }, "EXACTLY"),
            ],
          },
        },
        { Block: {} },
      ),
    ]);
    expect(verdictOf(and, request({ uriPath: "/x" })).action).toBe("BLOCK");
    expect(verdictOf(and, request({ uriPath: "/y" })).action).toBe("ALLOW");
  });

  it("rate-based: blocks a key over its limit, others pass, and the block lifts when the window moves on", () => {
    const store = new RateLimiterStore();
    const web = acl([
      rule(
        "rate",
        1,
        { RateBasedStatement: { Limit: 3, EvaluationWindowSec: 10, AggregateKeyType: "IP" } },
        { Block: {} },
      ),
    ]);
    const compiled = compileWebAcl(web, new Map(), store);
    const hits = [1, 2, 3, 4, 5].map(
      (i) => evaluateWebAcl(compiled, request({ sourceIp: "127.0.0.2" }), i).action,
    );
    expect(hits).toEqual(["ALLOW", "ALLOW", "ALLOW", "BLOCK", "BLOCK"]);
    expect(evaluateWebAcl(compiled, request({ sourceIp: "127.0.0.3" }), 6).action).toBe("ALLOW");
    expect(evaluateWebAcl(compiled, request({ sourceIp: "127.0.0.2" }), 11_000).action).toBe("ALLOW");
  });

  it("rate-based keys: forwarded IP with fallback, custom keys, scope-down", () => {
    const store = new RateLimiterStore();
    const forwarded = compileWebAcl(
      acl([
        rule(
          "fwd",
          1,
          {
            RateBasedStatement: {
              Limit: 1,
              EvaluationWindowSec: 60,
              AggregateKeyType: "FORWARDED_IP",
              ForwardedIPConfig: { HeaderName: "X-Client", FallbackBehavior: "NO_MATCH" },
            },
          },
          { Block: {} },
        ),
      ]),
      new Map(),
      store,
    );
    const from = (ip: string) => request({ headers: { "x-client": ip } });
    expect(evaluateWebAcl(forwarded, from("9.9.9.9"), 0).action).toBe("ALLOW");
    expect(evaluateWebAcl(forwarded, from("9.9.9.9"), 1).action).toBe("BLOCK");
    expect(evaluateWebAcl(forwarded, from("8.8.8.8"), 2).action).toBe("ALLOW");
    expect(evaluateWebAcl(forwarded, from("junk"), 3).action).toBe("ALLOW");
    expect(forwarded.rules[0]?.rateLimiters[0]?.overLimit(4)).toEqual(["9.9.9.9/32"]);
    // Another spelling of an address counted is the same key.
    expect(evaluateWebAcl(forwarded, from("009.9.9.9"), 5).action).toBe("BLOCK");
    expect(evaluateWebAcl(forwarded, from("2001:db8::1"), 6).action).toBe("ALLOW");
    expect(evaluateWebAcl(forwarded, from("2001:0db8:0::1"), 7).action).toBe("BLOCK");

    const custom = compileWebAcl(
      acl([
        rule(
          "custom",
          1,
          {
            RateBasedStatement: {
              Limit: 1,
              EvaluationWindowSec: 60,
              AggregateKeyType: "CUSTOM_KEYS",
              CustomKeys: [
                { Header: { Name: "x-api-key", TextTransformations: [{ Type: "NONE", Priority: 0 }] } },
                { UriPath: { TextTransformations: [{ Type: "NONE", Priority: 0 }] } },
              ],
              ScopeDownStatement: byteMatch("/api", { UriPath: {} }, "STARTS_WITH"),
            },
          },
          { Block: {} },
        ),
      ]),
      new Map(),
      new RateLimiterStore(),
    );
    const call = (key: string | undefined, path: string, now: number) =>
      evaluateWebAcl(
        custom,
        request({ uriPath: path, headers: key === undefined ? {} : { "x-api-key": key } }),
        now,
      ).action;
    expect(call("k1", "/api/a", 0)).toBe("ALLOW");
    expect(call("k1", "/api/a", 1)).toBe("BLOCK");
    expect(call("k1", "/api/b", 2)).toBe("ALLOW");
    expect(call("k2", "/api/a", 3)).toBe("ALLOW");
    // No key header: not counted, never blocked; out of the scope-down: never counted.
    expect([call(undefined, "/api/a", 4), call(undefined, "/api/a", 5)]).toEqual(["ALLOW", "ALLOW"]);
    expect([call("k1", "/web", 6), call("k1", "/web", 7)]).toEqual(["ALLOW", "ALLOW"]);
  });
});
