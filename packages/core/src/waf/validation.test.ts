import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { WafError } from "./errors.ts";
import type { Statement } from "./types.ts";
import { readRules, readScope, readWebAclDefinition } from "./validation.ts";

const visibility = (MetricName: string) => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName,
});
const rule = (Name: string, Priority: number, Statement: unknown, extra: Record<string, unknown> = {}) => ({
  Name,
  Priority,
  Statement,
  Action: { Block: {} },
  VisibilityConfig: visibility(Name),
  ...extra,
});
const rate = (extra: Record<string, unknown> = {}) => ({
  RateBasedStatement: { Limit: 100, AggregateKeyType: "IP", ...extra },
});
const bytes = (text: string, extra: Record<string, unknown> = {}) => ({
  ByteMatchStatement: {
    SearchString: Buffer.from(text).toString("base64"),
    FieldToMatch: { UriPath: {} },
    TextTransformations: [{ Priority: 0, Type: "NONE" }],
    PositionalConstraint: "CONTAINS",
    ...extra,
  },
});
const slow = { fast: false };
const fast = { fast: true };
const keys = new Set(["denied"]);

/** What a refusal carries: its code and, for WAFInvalidParameterException, WAF's Field. */
function refusal(run: () => unknown): { code: string; field?: string; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WafError)) throw error;
    return {
      code: error.code,
      message: error.message,
      ...(error.details.Field !== undefined && { field: error.details.Field }),
    };
  }
  throw new Error("expected a refusal");
}

const rules = (...list: unknown[]) => readRules(list, keys, slow);

describe("web ACL rules, read as WAF reads them", () => {
  test("a valid set is stored in the contract's shape, sorted by priority", () => {
    const read = rules(rule("b", 5, rate({ EvaluationWindowSec: 120 })), rule("a", 1, bytes("/admin")));
    expect(read.map((r) => r.Name)).toEqual(["a", "b"]);
    expect(read[0]?.Statement.ByteMatchStatement?.SearchString).toBe(
      Buffer.from("/admin").toString("base64"),
    );
    expect(read[1]?.Statement.RateBasedStatement).toEqual({
      Limit: 100,
      AggregateKeyType: "IP",
      EvaluationWindowSec: 120,
    });
  });

  test("rule names and priorities are unique within a web ACL", () => {
    expect(refusal(() => rules(rule("a", 1, rate()), rule("a", 2, rate())))).toMatchObject({
      code: "WAFInvalidParameterException",
      field: "RULE",
    });
    expect(refusal(() => rules(rule("a", 1, rate()), rule("b", 1, rate())))).toMatchObject({ field: "RULE" });
  });

  test("names, metric names and priorities by the model's constraints (ValidationException)", () => {
    expect(refusal(() => rules(rule("bad name", 1, rate()))).code).toBe("ValidationException");
    expect(refusal(() => rules(rule("a".repeat(129), 1, rate()))).message).toMatch(
      /length less than or equal to 128/,
    );
    expect(refusal(() => rules(rule("a", -1, rate()))).message).toMatch(/greater than or equal to 0/);
    expect(
      refusal(() => rules(rule("a", 1, rate(), { VisibilityConfig: visibility("has space") }))).code,
    ).toBe("ValidationException");
    expect(refusal(() => rules(rule("a", 1, rate(), { VisibilityConfig: visibility("All") }))).field).toBe(
      "METRIC_NAME",
    );
    expect(
      refusal(() => rules({ Name: "a", Priority: 1, Statement: rate(), Action: { Block: {} } })).message,
    ).toMatch(/Value null at 'rules.1.member.visibilityConfig'/);
  });

  test("exactly one statement member, one action member", () => {
    expect(refusal(() => rules(rule("a", 1, {})))).toMatchObject({ field: "STATEMENT" });
    expect(refusal(() => rules(rule("a", 1, { ...rate(), ...bytes("x") })))).toMatchObject({
      field: "STATEMENT",
    });
    expect(refusal(() => rules(rule("a", 1, rate(), { Action: { Block: {}, Count: {} } })))).toMatchObject({
      field: "RULE_ACTION",
    });
    expect(refusal(() => rules(rule("a", 1, rate(), { Action: undefined })))).toMatchObject({
      field: "RULE_ACTION",
    });
  });

  test("a rate-based statement stands only at the top; its scope-down may not hold one", () => {
    expect(refusal(() => rules(rule("a", 1, { NotStatement: { Statement: rate() } })))).toMatchObject({
      field: "NOT_STATEMENT",
    });
    expect(
      refusal(() => rules(rule("a", 1, { AndStatement: { Statements: [rate(), bytes("x")] } }))),
    ).toMatchObject({
      field: "AND_STATEMENT",
    });
    expect(refusal(() => rules(rule("a", 1, rate({ ScopeDownStatement: rate() }))))).toMatchObject({
      field: "SCOPE_DOWN",
    });
    const scoped = rules(
      rule("a", 1, rate({ ScopeDownStatement: { NotStatement: { Statement: bytes("/health") } } })),
    );
    expect(scoped[0]?.Statement.RateBasedStatement?.ScopeDownStatement?.NotStatement).toBeDefined();
  });

  test("And and Or take two or more statements", () => {
    expect(refusal(() => rules(rule("a", 1, { OrStatement: { Statements: [bytes("x")] } })))).toMatchObject({
      field: "OR_STATEMENT",
    });
  });

  test("Limit 10 to 2,000,000,000; windows 60, 120, 300, 600 (fast mode: 1 to 600)", () => {
    expect(refusal(() => rules(rule("a", 1, rate({ Limit: 9 })))).message).toMatch(
      /greater than or equal to 10/,
    );
    expect(refusal(() => rules(rule("a", 1, rate({ Limit: 2_000_000_001 })))).code).toBe(
      "ValidationException",
    );
    expect(refusal(() => rules(rule("a", 1, rate({ EvaluationWindowSec: 30 }))))).toMatchObject({
      field: "RATE_BASED_STATEMENT",
    });
    expect(
      readRules([rule("a", 1, rate({ EvaluationWindowSec: 2 }))], keys, fast)[0]?.Statement.RateBasedStatement
        ?.EvaluationWindowSec,
    ).toBe(2);
    expect(
      refusal(() => readRules([rule("a", 1, rate({ EvaluationWindowSec: 0 }))], keys, fast)),
    ).toMatchObject({ field: "RATE_BASED_STATEMENT" });
  });

  test("AggregateKeyType pairs with ForwardedIPConfig and CustomKeys as WAF pairs them", () => {
    const forwarded = { HeaderName: "X-Forwarded-For", FallbackBehavior: "MATCH" };
    expect(refusal(() => rules(rule("a", 1, rate({ AggregateKeyType: "FORWARDED_IP" }))))).toMatchObject({
      field: "FORWARDED_IP_CONFIG",
    });
    expect(refusal(() => rules(rule("a", 1, rate({ ForwardedIPConfig: forwarded }))))).toMatchObject({
      field: "FORWARDED_IP_CONFIG",
    });
    expect(
      rules(rule("a", 1, rate({ AggregateKeyType: "FORWARDED_IP", ForwardedIPConfig: forwarded }))),
    ).toHaveLength(1);
    expect(refusal(() => rules(rule("a", 1, rate({ AggregateKeyType: "CUSTOM_KEYS" }))))).toMatchObject({
      field: "CUSTOM_KEYS",
    });
    expect(refusal(() => rules(rule("a", 1, rate({ CustomKeys: [{ IP: {} }] }))))).toMatchObject({
      field: "CUSTOM_KEYS",
    });
    const custom = rules(
      rule(
        "a",
        1,
        rate({
          AggregateKeyType: "CUSTOM_KEYS",
          CustomKeys: [
            { Header: { Name: "x-api-key", TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
            { UriPath: { TextTransformations: [{ Priority: 0, Type: "LOWERCASE" }] } },
          ],
        }),
      ),
    );
    expect(custom[0]?.Statement.RateBasedStatement?.CustomKeys).toHaveLength(2);
    expect(refusal(() => rules(rule("a", 1, rate({ AggregateKeyType: "CONSTANT" }))))).toMatchObject({
      field: "SCOPE_DOWN",
    });
  });

  test("text transformation priorities are unique", () => {
    const twice = [
      { Priority: 0, Type: "LOWERCASE" },
      { Priority: 0, Type: "URL_DECODE" },
    ];
    expect(refusal(() => rules(rule("a", 1, bytes("x", { TextTransformations: twice }))))).toMatchObject({
      field: "TEXT_TRANSFORMATION",
    });
    expect(refusal(() => rules(rule("a", 1, bytes("x", { TextTransformations: [] })))).code).toBe(
      "ValidationException",
    );
  });

  test("what scaleout does not evaluate is refused by name", () => {
    const geo = refusal(() => rules(rule("a", 1, { GeoMatchStatement: { CountryCodes: ["FR"] } })));
    expect(geo).toMatchObject({ code: "WAFInvalidParameterException", field: "GEO_MATCH_STATEMENT" });
    expect(geo.message).toMatch(/GeoMatchStatement/);
    expect(refusal(() => rules(rule("a", 1, { SqliMatchStatement: {} }))).message).toMatch(
      /SqliMatchStatement/,
    );
    expect(
      refusal(() => rules(rule("a", 1, bytes("x", { FieldToMatch: { JsonBody: {} } })))).message,
    ).toMatch(/JsonBody/);
    expect(refusal(() => rules(rule("a", 1, rate(), { Action: { Captcha: {} } }))).message).toMatch(
      /Captcha/,
    );
    expect(
      refusal(() =>
        rules(rule("a", 1, bytes("x", { TextTransformations: [{ Priority: 0, Type: "SHA256" }] }))),
      ),
    ).toMatchObject({
      field: "TEXT_TRANSFORMATION",
    });
    expect(
      refusal(() => rules(rule("a", 1, bytes("x", { TextTransformations: [{ Priority: 0, Type: "MD5" }] }))))
        .message,
    ).toMatch(/MD5/);
  });

  test("search strings are base64 of 1 to 200 bytes; regexes must compile", () => {
    expect(refusal(() => rules(rule("a", 1, bytes("x".repeat(201))))).field).toBe("BYTE_MATCH_STATEMENT");
    expect(
      refusal(() =>
        rules(
          rule("a", 1, {
            ByteMatchStatement: { ...bytes("x").ByteMatchStatement, SearchString: "not base64!" },
          }),
        ),
      ).code,
    ).toBe("ValidationException");
    const regex = (RegexString: string) => ({
      RegexMatchStatement: {
        RegexString,
        FieldToMatch: { UriPath: {} },
        TextTransformations: [{ Priority: 0, Type: "NONE" }],
      },
    });
    expect(rules(rule("a", 1, regex("^/api/v[0-9]+/")))).toHaveLength(1);
    expect(refusal(() => rules(rule("a", 1, regex("(unclosed")))).code).toBe("WAFInvalidParameterException");
    // What the data plane's backtracking engine cannot run safely (regex-guard.ts).
    expect(refusal(() => rules(rule("a", 1, regex("^(a+)+$")))).message).toMatch(/nested quantifiers/);
    expect(refusal(() => rules(rule("a", 1, regex("(?<=admin)/x")))).message).toMatch(/lookaround/);
  });

  test("custom responses: codes 200 to 599 and a body key the web ACL defines", () => {
    const block = (CustomResponse: unknown) =>
      rule("a", 1, rate(), { Action: { Block: { CustomResponse } } });
    expect(
      rules(block({ ResponseCode: 429, CustomResponseBodyKey: "denied" }))[0]?.Action?.Block?.CustomResponse
        ?.ResponseCode,
    ).toBe(429);
    expect(refusal(() => rules(block({ ResponseCode: 199 }))).code).toBe("ValidationException");
    expect(refusal(() => rules(block({ ResponseCode: 600 }))).code).toBe("ValidationException");
    expect(
      refusal(() => rules(block({ ResponseCode: 403, CustomResponseBodyKey: "missing" }))),
    ).toMatchObject({ field: "CUSTOM_RESPONSE_BODY" });
  });
});

describe("web ACL definitions", () => {
  const base = { DefaultAction: { Allow: {} }, VisibilityConfig: visibility("acl") };

  test("the default action is exactly one of Allow and Block", () => {
    expect(readWebAclDefinition(base, slow).DefaultAction).toEqual({ Allow: {} });
    expect(refusal(() => readWebAclDefinition({ ...base, DefaultAction: {} }, slow))).toMatchObject({
      field: "DEFAULT_ACTION",
    });
    expect(
      refusal(() => readWebAclDefinition({ ...base, DefaultAction: { Count: {} } }, slow)),
    ).toMatchObject({ field: "DEFAULT_ACTION" });
  });

  test("custom response bodies are checked and their keys are what actions may name", () => {
    const definition = readWebAclDefinition(
      {
        ...base,
        DefaultAction: { Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: "page" } } },
        CustomResponseBodies: { page: { ContentType: "TEXT_HTML", Content: "<h1>no</h1>" } },
      },
      slow,
    );
    expect(definition.CustomResponseBodies?.page?.ContentType).toBe("TEXT_HTML");
    expect(
      refusal(() =>
        readWebAclDefinition(
          { ...base, CustomResponseBodies: { page: { ContentType: "IMAGE", Content: "x" } } },
          slow,
        ),
      ).code,
    ).toBe("ValidationException");
  });

  test("scope REGIONAL; CLOUDFRONT refused with WAF's error", () => {
    expect(readScope("REGIONAL")).toBe("REGIONAL");
    expect(refusal(() => readScope("CLOUDFRONT"))).toMatchObject({ field: "SCOPE_VALUE" });
    expect(refusal(() => readScope("GLOBAL")).code).toBe("ValidationException");
  });
});

/** Statement-looking JSON: the members WAF knows, filled with anything, nested a few levels. */
const statementish: fc.Arbitrary<unknown> = fc.letrec<{ statement: unknown }>((tie) => ({
  statement: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.record(
      {
        RateBasedStatement: fc.record(
          {
            Limit: fc.oneof(fc.integer(), fc.jsonValue()),
            AggregateKeyType: fc.constantFrom("IP", "CONSTANT", "FORWARDED_IP", "CUSTOM_KEYS", 3),
            ScopeDownStatement: tie("statement"),
            CustomKeys: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
        ByteMatchStatement: fc.record(
          {
            SearchString: fc.oneof(fc.base64String(), fc.jsonValue()),
            FieldToMatch: fc.jsonValue({ maxDepth: 2 }),
            TextTransformations: fc.jsonValue({ maxDepth: 2 }),
            PositionalConstraint: fc.constantFrom("EXACTLY", "X"),
          },
          { requiredKeys: [] },
        ),
        AndStatement: fc.record({ Statements: fc.array(tie("statement"), { maxLength: 3 }) }),
        NotStatement: fc.record({ Statement: tie("statement") }),
        IPSetReferenceStatement: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  ),
})).statement;

describe("hostile rule JSON", () => {
  test("anything is either read or refused with a WAF error, never a crash", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            statementish.map((s) => rule("r", 1, s)),
          ),
          { maxLength: 3 },
        ),
        fc.boolean(),
        (list, fastMode) => {
          try {
            const read = readRules(list, keys, { fast: fastMode });
            for (const r of read) expect(typeof r.Statement).toBe("object");
          } catch (error) {
            expect(error).toBeInstanceOf(WafError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a read statement reads again to itself (what is stored is what the services would accept)", () => {
    fc.assert(
      fc.property(statementish, (statement) => {
        let read: Statement | undefined;
        try {
          read = readRules([rule("r", 1, statement)], keys, slow)[0]?.Statement;
        } catch (error) {
          expect(error).toBeInstanceOf(WafError);
          return;
        }
        expect(readRules([rule("r", 1, read)], keys, slow)[0]?.Statement).toEqual(read);
      }),
      { numRuns: 500 },
    );
  });
});
