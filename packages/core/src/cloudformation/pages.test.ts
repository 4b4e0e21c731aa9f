import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { cfnPage } from "./pages.ts";

const walk = (items: string[], listing = "ListStacks", size = 3) => {
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = cfnPage(items, token, listing, (item) => item, size);
    seen.push(...page.items);
    token = page.nextToken;
  } while (token !== undefined);
  return seen;
};

describe("cfnPage", () => {
  test("pages of 100 by default, the last without a token", () => {
    const items = Array.from({ length: 250 }, (_, i) => `s${i}`);
    const first = cfnPage(items, undefined, "ListStacks", (item) => item);
    expect(first.items).toHaveLength(100);
    const second = cfnPage(items, first.nextToken, "ListStacks", (item) => item);
    expect(second.items[0]).toBe("s100");
    const third = cfnPage(items, second.nextToken, "ListStacks", (item) => item);
    expect(third.items).toHaveLength(50);
    expect(third.nextToken).toBeUndefined();
    expect(cfnPage(items.slice(0, 100), undefined, "ListStacks", (item) => item).nextToken).toBeUndefined();
  });

  test("a walk sees every item once, and items added in front do not repeat the ones seen", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        (items, size) => {
          expect(walk(items, "L", size)).toEqual(items);
        },
      ),
    );
    const items = ["a", "b", "c", "d", "e"];
    const first = cfnPage(items, undefined, "L", (item) => item, 2);
    const next = cfnPage(["z", ...items], first.nextToken, "L", (item) => item, 2);
    expect(next.items).toEqual(["c", "d"]);
    // The last item seen has gone: the page starts at the offset it had.
    expect(cfnPage(["a", "c", "d", "e"], first.nextToken, "L", (item) => item, 2).items).toEqual(["d", "e"]);
  });

  test("a token of another listing, or any other string, is CloudFormation's ValidationError", () => {
    const items = ["a", "b", "c"];
    const { nextToken } = cfnPage(items, undefined, "DescribeStackEvents:stack-1", (item) => item, 1);
    expect(() => cfnPage(items, nextToken, "DescribeStackEvents:stack-2", (item) => item, 1)).toThrow(
      `${nextToken} is not a valid NextToken`,
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (token) => {
        try {
          cfnPage(items, token, "L", (item) => item);
        } catch (error) {
          expect((error as { code?: string }).code).toBe("ValidationError");
        }
      }),
    );
    for (const body of [
      { l: "L", k: "a", o: -1 },
      { l: "L", k: 1, o: 1 },
      { l: "L", k: "a", o: 1.5 },
      [1],
      null,
    ])
      expect(() =>
        cfnPage(items, Buffer.from(JSON.stringify(body)).toString("base64url"), "L", (item) => item),
      ).toThrow("is not a valid NextToken");
  });
});
