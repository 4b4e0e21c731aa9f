import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configEtag, etagMatches, versionOfEtag } from "./proxy-etag.ts";

describe("snapshot ETag", () => {
  it("names the configuration version", () => {
    expect(configEtag(42)).toBe('"v42"');
    expect(versionOfEtag('"v42"')).toBe(42);
    expect(versionOfEtag('W/"v42"')).toBe(42);
    expect(versionOfEtag('"42"')).toBeUndefined();
    expect(versionOfEtag('"v042"')).toBeUndefined();
    expect(versionOfEtag("v42")).toBeUndefined();
  });

  it("If-None-Match matches the current version, a list holding it, or *", () => {
    expect(etagMatches('"v7"', 7)).toBe(true);
    expect(etagMatches('"v6", W/"v7"', 7)).toBe(true);
    expect(etagMatches("*", 7)).toBe(true);
    expect(etagMatches('"v6"', 7)).toBe(false);
    expect(etagMatches(undefined, 7)).toBe(false);
    expect(etagMatches("", 7)).toBe(false);
    expect(etagMatches("garbage", 7)).toBe(false);
  });

  it("round-trips every version and never throws on any header", () => {
    fc.assert(fc.property(fc.nat(), (version) => etagMatches(configEtag(version), version)));
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), (header, version) => {
        const matched = etagMatches(header, version);
        expect(typeof matched).toBe("boolean");
      }),
    );
  });
});
