import { describe, expect, it } from "vitest";
import { jsonTooDeep, maxJsonDepth } from "./json-depth.ts";

const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

describe("jsonTooDeep", () => {
  it("accepts documents up to the limit and refuses one level more", () => {
    expect(jsonTooDeep(nested(maxJsonDepth))).toBe(false);
    expect(jsonTooDeep(nested(maxJsonDepth + 1))).toBe(true);
    expect(jsonTooDeep(`{"a":${nested(3, "[", "]")}}`, 3)).toBe(true);
    expect(jsonTooDeep(`{"a":${nested(2, "[", "]")}}`, 3)).toBe(false);
  });

  it("counts objects and arrays alike, and siblings not as depth", () => {
    expect(jsonTooDeep('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(jsonTooDeep('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
    expect(jsonTooDeep(`[${Array.from({ length: 10_000 }, () => "[]").join(",")}]`, 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonTooDeep(JSON.stringify({ a: "[[[[[[[[[[" }), 1)).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ a: 'x\\"[[[[[["' }), 1)).toBe(false);
    expect(jsonTooDeep(JSON.stringify(["\\", [[]]]), 2)).toBe(true);
  });

  it("scans a deep hostile body in linear time", () => {
    const hostile = "[".repeat(1_000_000);
    const started = performance.now();
    expect(jsonTooDeep(hostile)).toBe(true);
    expect(jsonTooDeep(`"${"[".repeat(1_000_000)}"`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
