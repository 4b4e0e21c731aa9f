import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, startAwsApi } from "./helpers.ts";

/*
 * Hostile wafv2 requests straight onto the door (no SDK to shape them): every member of every WAF
 * operation drawn from templates of valid requests with parts replaced by any JSON. Each answer is a 200
 * or a 4xx in WAF's JSON error shape, never a 5xx (close() fails the test on one), and what was stored
 * still reads back.
 */

let api: AwsTestApi;
beforeAll(async () => {
  api = await startAwsApi({ fast: true });
});
afterAll(async () => {
  await api?.close();
});

const signed = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/wafv2/aws4_request, SignedHeaders=host, Signature=00`;

async function call(
  action: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSWAF_20190729.${action}`,
      authorization: signed,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const visibility = { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: false, MetricName: "m" };
const statement = {
  ByteMatchStatement: {
    SearchString: "L2FkbWlu",
    FieldToMatch: { SingleHeader: { Name: "user-agent" } },
    TextTransformations: [{ Priority: 0, Type: "LOWERCASE" }],
    PositionalConstraint: "CONTAINS",
  },
};
const rule = {
  Name: "r",
  Priority: 0,
  Statement: { RateBasedStatement: { Limit: 100, AggregateKeyType: "IP", ScopeDownStatement: statement } },
  Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
  VisibilityConfig: visibility,
};

/** A valid input with one member (at any depth) replaced by anything. */
function spoil(template: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    paths.push(path);
    if (typeof value === "object" && value !== null)
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(template, []);
  return fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 })).map(([path, replacement]) => {
    if (path.length === 0) return replacement;
    const copy = structuredClone(template) as Record<string, unknown>;
    let node: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path[path.length - 1] as string] = replacement;
    return copy;
  });
}

describe("hostile wafv2 requests", () => {
  test("malformed bodies and wrong types are WAF's 400s", async () => {
    const bad = await call("CreateWebACL", "{not json");
    expect(bad.status).toBe(400);
    const typed = await call("CreateWebACL", {
      Name: 5,
      Scope: "REGIONAL",
      DefaultAction: [],
      VisibilityConfig: "x",
    });
    expect(typed.status).toBe(400);
    expect(typed.body.__type).toBe("ValidationException");
    const deep = await call("CheckCapacity", {
      Scope: "REGIONAL",
      Rules: [
        {
          ...rule,
          Statement: JSON.parse(`${'{"NotStatement":{"Statement":'.repeat(20)}{}${"}}".repeat(20)}`),
        },
      ],
    });
    expect(deep.status).toBe(400);
    expect(deep.body.__type).toBe("WAFInvalidParameterException");
    expect(deep.body.Field).toBe("STATEMENT");
  });

  test("spoiled web ACLs, IP sets and capacity checks: 200 or 4xx, never 5xx", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          spoil({
            Name: "acl",
            Scope: "REGIONAL",
            DefaultAction: { Allow: {} },
            VisibilityConfig: visibility,
            Rules: [rule],
            CustomResponseBodies: { b: { ContentType: "TEXT_PLAIN", Content: "no" } },
            Tags: [{ Key: "k", Value: "v" }],
          }).map((body) => ["CreateWebACL", body] as const),
          spoil({ Name: "set", Scope: "REGIONAL", IPAddressVersion: "IPV4", Addresses: ["10.0.0.0/8"] }).map(
            (body) => ["CreateIPSet", body] as const,
          ),
          spoil({ Scope: "REGIONAL", Rules: [rule] }).map((body) => ["CheckCapacity", body] as const),
          spoil({ Scope: "REGIONAL", Limit: 5, NextMarker: "eyJhZnRlciI6ImEifQ" }).map(
            (body) => ["ListWebACLs", body] as const,
          ),
        ),
        fc.integer({ min: 0, max: 1_000_000 }),
        async ([action, body], n) => {
          // Unique names, so a valid create is not refused as a duplicate of an earlier one.
          const named =
            typeof body === "object" &&
            body !== null &&
            !Array.isArray(body) &&
            (body as { Name?: unknown }).Name !== undefined
              ? {
                  ...body,
                  Name:
                    typeof (body as { Name: unknown }).Name === "string"
                      ? `${(body as { Name: string }).Name}-${n}`
                      : (body as { Name: unknown }).Name,
                }
              : body;
          const answer = await call(action, named);
          expect(
            answer.status === 200 || (answer.status >= 400 && answer.status < 500),
            JSON.stringify(answer),
          ).toBe(true);
          if (answer.status === 200) accepted++;
          else expect(typeof answer.body.__type).toBe("string");
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(0);
    const listed = await call("ListWebACLs", { Scope: "REGIONAL" });
    expect(listed.status).toBe(200);
  });
});
