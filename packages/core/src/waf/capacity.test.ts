import { describe, expect, test } from "vitest";
import { rulesCapacity, statementCapacity } from "./capacity.ts";
import type { Statement, TextTransformation } from "./types.ts";

const none: TextTransformation[] = [{ Priority: 0, Type: "NONE" }];
const two: TextTransformation[] = [
  { Priority: 0, Type: "URL_DECODE" },
  { Priority: 1, Type: "LOWERCASE" },
];
const byteMatch = (
  PositionalConstraint: "EXACTLY" | "STARTS_WITH" | "ENDS_WITH" | "CONTAINS" | "CONTAINS_WORD",
  TextTransformations = none,
  FieldToMatch: Statement["ByteMatchStatement"] extends infer B
    ? B extends { FieldToMatch: infer F }
      ? F
      : never
    : never = { UriPath: {} },
): Statement => ({
  ByteMatchStatement: { SearchString: "YQ==", FieldToMatch, TextTransformations, PositionalConstraint },
});
const ipSet: Statement = { IPSetReferenceStatement: { ARN: "arn:aws:wafv2:us-east-1:0:regional/ipset/x/y" } };

describe("WCUs as the AWS WAF developer guide prices each statement", () => {
  test("string match: 2 for exact, prefix and suffix; 10 for contains", () => {
    expect(statementCapacity(byteMatch("EXACTLY"))).toBe(2);
    expect(statementCapacity(byteMatch("STARTS_WITH"))).toBe(2);
    expect(statementCapacity(byteMatch("ENDS_WITH"))).toBe(2);
    expect(statementCapacity(byteMatch("CONTAINS"))).toBe(10);
    expect(statementCapacity(byteMatch("CONTAINS_WORD"))).toBe(10);
  });

  test("+10 a text transformation (NONE is none), +10 for all query arguments", () => {
    expect(statementCapacity(byteMatch("EXACTLY", two))).toBe(22);
    expect(statementCapacity(byteMatch("CONTAINS", two, { AllQueryArguments: {} }))).toBe(40);
  });

  test("size constraint 1, regex 3, IP set 1 (+4 for a forwarded IP at ANY position), label 1", () => {
    expect(
      statementCapacity({
        SizeConstraintStatement: {
          FieldToMatch: { Body: {} },
          ComparisonOperator: "GT",
          Size: 10,
          TextTransformations: none,
        },
      }),
    ).toBe(1);
    expect(
      statementCapacity({
        RegexMatchStatement: {
          RegexString: "a+",
          FieldToMatch: { QueryString: {} },
          TextTransformations: two,
        },
      }),
    ).toBe(23);
    expect(statementCapacity(ipSet)).toBe(1);
    expect(
      statementCapacity({
        IPSetReferenceStatement: {
          ARN: "arn",
          IPSetForwardedIPConfig: {
            HeaderName: "X-Forwarded-For",
            FallbackBehavior: "MATCH",
            Position: "ANY",
          },
        },
      }),
    ).toBe(5);
    expect(statementCapacity({ LabelMatchStatement: { Scope: "LABEL", Key: "a:b" } })).toBe(1);
  });

  test("rate-based: 2, +30 a custom key, plus its scope-down statement", () => {
    expect(statementCapacity({ RateBasedStatement: { Limit: 100, AggregateKeyType: "IP" } })).toBe(2);
    expect(
      statementCapacity({
        RateBasedStatement: {
          Limit: 100,
          AggregateKeyType: "CUSTOM_KEYS",
          CustomKeys: [{ IP: {} }, { HTTPMethod: {} }],
          ScopeDownStatement: byteMatch("CONTAINS"),
        },
      }),
    ).toBe(72);
  });

  test("And, Or and Not are the sum of what they hold; a web ACL the sum of its rules", () => {
    const and: Statement = { AndStatement: { Statements: [byteMatch("EXACTLY"), ipSet] } };
    const or: Statement = {
      OrStatement: { Statements: [and, { NotStatement: { Statement: byteMatch("CONTAINS") } }] },
    };
    expect(statementCapacity(and)).toBe(3);
    expect(statementCapacity(or)).toBe(13);
    expect(rulesCapacity([{ Statement: and }, { Statement: or }])).toBe(16);
  });
});
