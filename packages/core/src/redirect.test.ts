import { describe, expect, it } from "vitest";
import { redirectLocation } from "./redirect.ts";

/*
 * The ELB User Guide, "Redirect actions": protocol, host, port, path and query each default to their
 * #{...} placeholder; #{path} is the path without its leading slash, and the default port of the
 * resulting protocol is left out.
 */
const request = { protocol: "http", host: "app.example.com", port: 8080, path: "/a/b", query: "x=1" };

describe("redirectLocation", () => {
  it("with no overrides answers the request's own URL", () => {
    expect(redirectLocation({ statusCode: "HTTP_302" }, request)).toBe("http://app.example.com:8080/a/b?x=1");
  });

  it("HTTP to HTTPS on 443 drops the default port", () => {
    expect(redirectLocation({ protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }, request)).toBe(
      "https://app.example.com/a/b?x=1",
    );
    expect(redirectLocation({ port: "80", statusCode: "HTTP_301" }, request)).toBe(
      "http://app.example.com/a/b?x=1",
    );
  });

  it("placeholders compose inside each component", () => {
    expect(
      redirectLocation(
        {
          host: "new.#{host}",
          path: "/v2/#{path}",
          query: "#{query}&from=#{port}",
          statusCode: "HTTP_301",
        },
        request,
      ),
    ).toBe("http://new.app.example.com:8080/v2/a/b?x=1&from=8080");
  });

  it("an empty query leaves no '?'; a path without its leading slash gets one", () => {
    expect(redirectLocation({ path: "#{path}", statusCode: "HTTP_302" }, { ...request, query: "" })).toBe(
      "http://app.example.com:8080/a/b",
    );
  });
});
