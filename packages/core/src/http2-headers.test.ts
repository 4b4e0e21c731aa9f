import { describe, expect, it } from "vitest";
import { http1Headers } from "./http2-headers.ts";

/* RFC 9113 8.3.1 (:authority becomes Host) and 8.2.3 (cookie crumbs are joined with "; "). */
describe("http1Headers", () => {
  it("puts Host first, from :authority, and drops the other pseudo-header fields", () => {
    expect(
      http1Headers([
        ":method",
        "GET",
        ":path",
        "/a?b",
        ":scheme",
        "https",
        ":authority",
        "App.test:8443",
        "x-a",
        "1",
      ]),
    ).toEqual(["host", "App.test:8443", "x-a", "1"]);
  });

  it(":authority wins over a host field, which is not repeated", () => {
    expect(http1Headers([":authority", "a.test", "host", "b.test", "accept", "*/*"])).toEqual([
      "host",
      "a.test",
      "accept",
      "*/*",
    ]);
  });

  it("a host field serves when there is no :authority", () => {
    expect(http1Headers([":method", "GET", "host", "b.test"])).toEqual(["host", "b.test"]);
  });

  it("no Host at all is left for the classifier to refuse", () => {
    expect(http1Headers([":method", "GET", ":path", "/", "x-a", "1"])).toEqual(["x-a", "1"]);
  });

  it("joins cookie crumbs into one field, in order", () => {
    expect(
      http1Headers([":authority", "a.test", "cookie", "a=1", "x-b", "2", "cookie", "b=2", "cookie", "c=3"]),
    ).toEqual(["host", "a.test", "x-b", "2", "cookie", "a=1; b=2; c=3"]);
  });

  it("keeps repeated fields as they came", () => {
    expect(http1Headers([":authority", "a.test", "accept", "a", "accept", "b"])).toEqual([
      "host",
      "a.test",
      "accept",
      "a",
      "accept",
      "b",
    ]);
  });
});
