import { describe, expect, it } from "vitest";
import { anyString, mergeAttributes } from "./attributes.ts";

const specs = { "deletion_protection.enabled": { default: "false", ...anyString } };

describe("mergeAttributes", () => {
  it("merges a known key", () => {
    expect(
      mergeAttributes("Load balancer", specs, {}, [{ key: "deletion_protection.enabled", value: "true" }]),
    ).toEqual({ "deletion_protection.enabled": "true" });
  });

  it("refuses keys that only Object's prototype has, as unknown keys", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(() => mergeAttributes("Load balancer", specs, {}, [{ key, value: "x" }])).toThrow(
        expect.objectContaining({ code: "ValidationError" }),
      );
    }
  });
});
