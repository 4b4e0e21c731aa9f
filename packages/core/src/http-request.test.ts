import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ClassifyOptions,
  classifyRequest,
  type DesyncMode,
  desyncModeOf,
  type RequestHead,
} from "./http-request.ts";
import { normaliseRequestPath } from "./request-target.ts";

/*
 * Expectations come from the ALB user guide ("Desync mitigation mode": monitor forwards everything,
 * defensive blocks Severe and closes connections after Ambiguous, strictest forwards only Compliant;
 * "Quotas": request line 16 K, single header 16 K, entire request header 64 K), the classification
 * reasons of aws/http-desync-guardian's docs, RFC 9112 3.2 (Host) and nginx's URI normalisation.
 */

const defensive: ClassifyOptions = {
  mode: "defensive",
  dropInvalidHeaderFields: false,
  defaultHost: "lb.elb.localhost",
};

function head(
  target: string,
  headers: string[] = ["Host", "example.com"],
  method = "GET",
  httpVersion = "1.1",
): RequestHead {
  return { method, target, httpVersion, rawHeaders: headers };
}

function classify(h: RequestHead, options: Partial<ClassifyOptions> = {}) {
  return classifyRequest(h, { ...defensive, ...options });
}

describe("path forms that walked around /admin/* rules", () => {
  it.each([
    ["/admin/x", "/admin/x", "/admin/x"],
    ["/a/../admin/x", "/admin/x", "/admin/x"],
    ["//admin/x", "/admin/x", "/admin/x"],
    ["/%61dmin/x", "/admin/x", "/admin/x"],
    ["/%61%64%6D%69%6e/x", "/admin/x", "/admin/x"],
    ["/admin/%2e%2e/x", "/x", "/x"],
    ["/x/%2E%2E/admin/x", "/admin/x", "/admin/x"],
    ["/./admin/./x", "/admin/x", "/admin/x"],
    ["/admin//x", "/admin/x", "/admin/x"],
    ["/a/b/../../admin/x?q=1", "/admin/x", "/admin/x?q=1"],
    ["/admin/x/", "/admin/x/", "/admin/x/"],
    ["/admin/x/..", "/admin/", "/admin/"],
    ["/admin/x/.", "/admin/x/", "/admin/x/"],
    ["/admin%2Fx", "/admin%2Fx", "/admin%2Fx"],
    ["/admin%2fx", "/admin%2Fx", "/admin%2Fx"],
    ["/a%25%32%66b", "/a%252fb", "/a%252fb"],
    ["/?a=/../b", "/", "/?a=/../b"],
    ["/x?", "/x", "/x?"],
    ["/.well-known/x", "/.well-known/x", "/.well-known/x"],
    ["/a/...", "/a/...", "/a/..."],
    ["/a/..b/.c", "/a/..b/.c", "/a/..b/.c"],
    ["/a%2e%2E%2fb", "/a..%2Fb", "/a..%2Fb"],
    ["/%7e/%41", "/~/A", "/~/A"],
    ["/", "/", "/"],
  ])("%s is matched as %s and forwarded as %s", (target, path, forwarded) => {
    const v = classify(head(target));
    expect(v).toMatchObject({
      ok: true,
      path,
      target: forwarded,
      classification: "compliant",
      reason: undefined,
    });
  });

  it("reduces absolute form to origin form and takes the Host from it", () => {
    const v = classify(
      head("http://Admin.Example.com:8080/admin/x?y=1", ["Host", "other.example", "Accept", "*/*"]),
    );
    expect(v).toMatchObject({
      ok: true,
      path: "/admin/x",
      query: "y=1",
      target: "/admin/x?y=1",
      host: "admin.example.com",
    });
    if (v.ok) expect(v.rawHeaders).toEqual(["Host", "Admin.Example.com:8080", "Accept", "*/*"]);
  });

  it.each([
    ["http://h.example?x=1", "/", "/?x=1"],
    ["http://h.example#f", "/", "/"],
    ["http://h.example//admin/../admin/x", "/admin/x", "/admin/x"],
    ["Http://h.example/%61dmin/x?q", "/admin/x", "/admin/x?q"],
  ])("absolute form %s is matched as %s and forwarded as %s", (target, path, forwarded) => {
    expect(classify(head(target))).toMatchObject({ ok: true, host: "h.example", path, target: forwarded });
  });

  it("gives an absolute form without a Host header one, and an empty path a slash", () => {
    const v = classify(head("HTTPS://h.example", []));
    expect(v).toMatchObject({
      ok: true,
      path: "/",
      target: "/",
      host: "h.example",
      rawHeaders: ["Host", "h.example"],
    });
  });

  it.each([
    ["/../admin/x", "BadPath"],
    ["/a/../../x", "BadPath"],
    ["/%2e%2e/x", "BadPath"],
    ["/a%zz", "BadPath"],
    ["/a%2", "BadPath"],
    ["http://user@evil.example/x", "BadUri"],
    ["http:///x", "BadUri"],
    ["admin/x", "BadUri"],
    ["ftp://h/x", "BadUri"],
    ["*", "AsteriskFormNotOptions"],
  ])("%s is refused with 400 (%s)", (target, reason) => {
    expect(classify(head(target))).toMatchObject({ ok: false, status: 400, reason });
  });

  it("refuses CONNECT's authority form and serves OPTIONS *", () => {
    expect(classify(head("example.com:443", ["Host", "example.com:443"], "CONNECT"))).toMatchObject({
      ok: false,
      status: 400,
      reason: "AuthorityForm",
    });
    expect(classify(head("*", ["Host", "h"], "OPTIONS"))).toMatchObject({ ok: true, path: "*", target: "*" });
  });

  it("drops a fragment, which no target would see", () => {
    expect(classify(head("/admin#/../x"))).toMatchObject({
      ok: true,
      path: "/admin",
      target: "/admin",
      reason: "FragmentInUri",
      classification: "acceptable",
    });
    expect(classify(head("/a?b=1#c"))).toMatchObject({
      ok: true,
      path: "/a",
      query: "b=1",
      target: "/a?b=1",
    });
  });
});

describe("Host", () => {
  it("adds the load balancer's name to an HTTP/1.0 request without Host", () => {
    const v = classify(head("/x", ["Accept", "*/*"], "GET", "1.0"));
    expect(v).toMatchObject({
      ok: true,
      host: "lb.elb.localhost",
      rawHeaders: ["Accept", "*/*", "Host", "lb.elb.localhost"],
    });
  });

  it.each([
    ["no Host on HTTP/1.1", head("/x", ["Accept", "*/*"]), "MissingHost"],
    ["two Host headers", head("/x", ["Host", "a.example", "host", "b.example"]), "DuplicateHost"],
    ["two Host headers on HTTP/1.0", head("/x", ["Host", "a", "Host", "a"], "GET", "1.0"), "DuplicateHost"],
    ["a Host with a slash", head("/x", ["Host", "a.example/x"]), "BadHost"],
    ["a Host with a space", head("/x", ["Host", "a example"]), "BadHost"],
    ["a Host with a non-numeric port", head("/x", ["Host", "a.example:http"]), "BadHost"],
    ["a Host with a stray bracket", head("/x", ["Host", "a]b"]), "BadHost"],
  ])("%s is 400 in every mode", (_, h, reason) => {
    for (const mode of ["monitor", "defensive", "strictest"] as const) {
      expect(classify(h, { mode })).toMatchObject({ ok: false, status: 400, reason });
    }
  });

  it.each([
    ["Example.COM:8080", "example.com"],
    ["[::1]:8080", "[::1]"],
    ["[::1]", "[::1]"],
    ["127.0.0.1", "127.0.0.1"],
  ])("Host %s is matched as %s", (value, host) => {
    expect(classify(head("/", ["Host", value]))).toMatchObject({ ok: true, host });
  });
});

describe("desync classification (http-desync-guardian's reasons)", () => {
  const cases: [string, RequestHead, "acceptable" | "ambiguous" | "severe", string][] = [
    [
      "a control character in a header value",
      head("/", ["Host", "h", "X-A", "a\x01b"], "POST"),
      "acceptable",
      "NonCompliantHeader",
    ],
    [
      "a non-ASCII header value",
      head("/", ["Host", "h", "X-A", "caf\u00e9"], "POST"),
      "acceptable",
      "NonCompliantHeader",
    ],
    [
      "a non-token header name",
      head("/", ["Host", "h", "x(y)", "z"], "POST"),
      "acceptable",
      "NonCompliantHeader",
    ],
    [
      "a header name with a space",
      head("/", ["Host", "h", "bad name", "x"], "POST"),
      "acceptable",
      "NonCompliantHeader",
    ],
    ["a space in the URI", head("/a b", ["Host", "h"]), "acceptable", "SpaceInUri"],
    ["HTTP/1.2", head("/", ["Host", "h"], "GET", "1.2"), "acceptable", "NonCompliantVersion"],
    [
      "GET with Content-Length: 0",
      head("/", ["Host", "h", "Content-Length", "0"]),
      "acceptable",
      "GetHeadZeroContentLength",
    ],
    ["an empty header name", head("/", ["Host", "h", "", "x"], "POST"), "ambiguous", "EmptyHeader"],
    ["a tab in the URI", head("/a\tb", ["Host", "h"]), "ambiguous", "AmbiguousUri"],
    [
      "GET with a body length",
      head("/", ["Host", "h", "Content-Length", "5"]),
      "ambiguous",
      "UndefinedContentLengthSemantics",
    ],
    [
      "HEAD with chunked",
      head("/", ["Host", "h", "Transfer-Encoding", "chunked"], "HEAD"),
      "ambiguous",
      "UndefinedTransferEncodingSemantics",
    ],
    [
      "chunked on HTTP/1.0",
      head("/", ["Host", "h", "Transfer-Encoding", "chunked"], "POST", "1.0"),
      "ambiguous",
      "UndefinedTransferEncodingSemantics",
    ],
    [
      "two equal Content-Length",
      head("/", ["Host", "h", "Content-Length", "5", "Content-Length", "5"], "POST"),
      "ambiguous",
      "DuplicateContentLength",
    ],
    [
      "a list of equal lengths",
      head("/", ["Host", "h", "Content-Length", "5, 5"], "POST"),
      "ambiguous",
      "DuplicateContentLength",
    ],
    [
      "Content-Length with Transfer-Encoding",
      head("/", ["Host", "h", "Content-Length", "5", "Transfer-Encoding", "chunked"], "POST"),
      "ambiguous",
      "BothTeClPresent",
    ],
    [
      "Transfer_Encoding",
      head("/", ["Host", "h", "Transfer_Encoding", "chunked"], "POST"),
      "ambiguous",
      "SuspiciousHeader",
    ],
    [
      "Content Length",
      head("/", ["Host", "h", "Content Length", "5"], "POST"),
      "ambiguous",
      "SuspiciousHeader",
    ],
    ["a NUL in a header value", head("/", ["Host", "h", "X-A", "a\x00b"], "POST"), "severe", "BadHeader"],
    ["a bare CR in a header value", head("/", ["Host", "h", "X-A", "a\rb"], "POST"), "severe", "BadHeader"],
    ["a CR in the URI", head("/a\rb", ["Host", "h"]), "severe", "BadUri"],
    ["a malformed version", head("/", ["Host", "h"], "GET", "1.x"), "severe", "BadVersion"],
    ["a malformed method", head("/", ["Host", "h"], "G(T"), "severe", "BadMethod"],
    [
      "different Content-Length",
      head("/", ["Host", "h", "Content-Length", "5", "Content-Length", "6"], "POST"),
      "severe",
      "MultipleContentLength",
    ],
    [
      "a list of different lengths",
      head("/", ["Host", "h", "Content-Length", "5, 6"], "POST"),
      "severe",
      "MultipleContentLength",
    ],
    [
      "a non-numeric Content-Length",
      head("/", ["Host", "h", "Content-Length", "5x"], "POST"),
      "severe",
      "BadContentLength",
    ],
    [
      "a negative Content-Length",
      head("/", ["Host", "h", "Content-Length", "-1"], "POST"),
      "severe",
      "BadContentLength",
    ],
    [
      "a huge Content-Length",
      head("/", ["Host", "h", "Content-Length", "9".repeat(20)], "POST"),
      "severe",
      "BadContentLength",
    ],
    [
      "Transfer-Encoding: identity, chunked",
      head("/", ["Host", "h", "Transfer-Encoding", "identity, chunked"], "POST"),
      "severe",
      "BadTransferEncoding",
    ],
    [
      "Transfer-Encoding: gzip",
      head("/", ["Host", "h", "Transfer-Encoding", "gzip"], "POST"),
      "severe",
      "BadTransferEncoding",
    ],
    [
      "chunked twice",
      head("/", ["Host", "h", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"], "POST"),
      "severe",
      "MultipleTransferEncodingChunked",
    ],
  ];

  const verdicts: Record<
    DesyncMode,
    Record<"acceptable" | "ambiguous" | "severe", "forward" | "close" | "block">
  > = {
    monitor: { acceptable: "forward", ambiguous: "forward", severe: "forward" },
    defensive: { acceptable: "forward", ambiguous: "close", severe: "block" },
    strictest: { acceptable: "block", ambiguous: "block", severe: "block" },
  };

  it.each(cases)("%s is %s (%s) and each mode treats it as ALB does", (_, h, classification, reason) => {
    for (const mode of ["monitor", "defensive", "strictest"] as const) {
      const v = classify(h, { mode });
      const expected = verdicts[mode][classification];
      if (expected === "block") {
        expect(v, mode).toEqual({ ok: false, status: 400, classification, reason });
      } else {
        expect(v, mode).toMatchObject({ ok: true, classification, reason, closeAfter: expected === "close" });
      }
    }
  });

  it("names the worst finding, not the first", () => {
    const h = head("/", ["Host", "h", "X-A", "a\x01", "Content-Length", "1000\x11"], "POST");
    expect(classify(h)).toMatchObject({ ok: false, classification: "severe", reason: "BadContentLength" });
  });

  it("calls a plain request compliant in strictest mode", () => {
    const h = head("/api/v1?x=1", ["Host", "h", "Content-Length", "3", "Content-Type", "text/plain"], "POST");
    expect(classify(h, { mode: "strictest" })).toMatchObject({
      ok: true,
      classification: "compliant",
      closeAfter: false,
    });
    expect(
      classify(head("/", ["Host", "h", "Transfer-Encoding", "Chunked"], "POST"), { mode: "strictest" }),
    ).toMatchObject({ ok: true });
  });
});

describe("drop_invalid_header_fields", () => {
  it("drops names outside [-A-Za-z0-9] instead of classifying them", () => {
    const h = head(
      "/",
      ["Host", "h", "x_y", "1", "x(y)", "2", "Transfer_Encoding", "chunked", "X-Ok", "3"],
      "POST",
    );
    expect(classify(h)).toMatchObject({ ok: true, classification: "ambiguous", reason: "SuspiciousHeader" });
    const v = classify(h, { dropInvalidHeaderFields: true, mode: "strictest" });
    expect(v).toMatchObject({
      ok: true,
      classification: "compliant",
      rawHeaders: ["Host", "h", "X-Ok", "3"],
    });
  });

  it("still classifies bad values of valid names", () => {
    const h = head("/", ["Host", "h", "X-A", "a\x00"], "POST");
    expect(classify(h, { dropInvalidHeaderFields: true })).toMatchObject({ ok: false, reason: "BadHeader" });
  });

  it("keeps the Host when an absolute form replaces it after a dropped header", () => {
    const h = head("http://b.example/x", ["x_y", "1", "Host", "a.example"]);
    expect(classify(h, { dropInvalidHeaderFields: true })).toMatchObject({
      ok: true,
      host: "b.example",
      rawHeaders: ["Host", "b.example"],
    });
  });
});

describe("limits (ALB quotas) and versions", () => {
  it("answers 414 past a 16 K request line", () => {
    expect(classify(head(`/${"a".repeat(16 * 1024 - 20)}`))).toMatchObject({ ok: true });
    expect(classify(head(`/${"a".repeat(16 * 1024)}`))).toMatchObject({ ok: false, status: 414 });
  });

  it("answers 431 past a 16 K header or 64 K of headers", () => {
    expect(classify(head("/", ["Host", "h", "X-A", "v".repeat(16 * 1024 - 10)]))).toMatchObject({ ok: true });
    expect(classify(head("/", ["Host", "h", "X-A", "v".repeat(16 * 1024)]))).toMatchObject({
      ok: false,
      status: 431,
      reason: "HeaderTooLarge",
    });
    const many = ["Host", "h"];
    for (let i = 0; i < 5; i++) many.push(`X-${i}`, "v".repeat(15 * 1024));
    expect(classify(head("/", many))).toMatchObject({ ok: false, status: 431, reason: "HeadersTooLarge" });
    expect(classify(head("/", many.slice(0, 10)))).toMatchObject({ ok: true });
  });

  it.each(["2.0", "HTTP/2.0", "3.0"])("answers 505 to version %s in every mode", (version) => {
    for (const mode of ["monitor", "defensive", "strictest"] as const) {
      expect(classify(head("/", ["Host", "h"], "GET", version), { mode })).toMatchObject({
        ok: false,
        status: 505,
      });
    }
  });

  it("accepts HTTP/1.0 and HTTP/1.1 in either spelling", () => {
    for (const version of ["1.0", "1.1", "HTTP/1.0", "HTTP/1.1"]) {
      expect(classify(head("/", ["Host", "h"], "GET", version), { mode: "strictest" })).toMatchObject({
        ok: true,
      });
    }
  });
});

describe("the compliant fast path", () => {
  it("forwards an unchanged target as the same string and headers equal to the input", () => {
    const target = "/already/normal?q=1";
    const raw = ["Host", "h", "Accept", "*/*"];
    const v = classify(head(target, raw));
    expect(v.ok && v.target).toBe(target);
    expect(v.ok && v.rawHeaders).toEqual(raw);
  });
});

describe("desyncModeOf", () => {
  it("reads the attribute, defaulting to defensive as AWS does", () => {
    expect(desyncModeOf("monitor")).toBe("monitor");
    expect(desyncModeOf("strictest")).toBe("strictest");
    expect(desyncModeOf("defensive")).toBe("defensive");
    expect(desyncModeOf(undefined)).toBe("defensive");
  });
});

describe("properties", () => {
  const segment = fc.oneof(
    fc.constantFrom(
      "",
      ".",
      "..",
      "%2e",
      "%2E%2e",
      ".%2e",
      "a",
      "admin",
      "%61",
      "%2F",
      "%zz",
      "%",
      "x y",
      "\t",
      "?",
      "#",
      ";",
      "\\",
    ),
    fc.string({ maxLength: 6 }),
  );
  const pathArb = fc.array(segment, { maxLength: 8 }).map((segments) => `/${segments.join("/")}`);
  const targetArb = fc.oneof(
    { arbitrary: pathArb, weight: 4 },
    fc
      .tuple(
        fc.constantFrom("http://", "HTTPS://", "http://u@"),
        fc.oneof(fc.constantFrom("h.example", "H.example:8080", "[::1]:80"), fc.string({ maxLength: 10 })),
        pathArb,
      )
      .map((p) => p.join("")),
    fc.string({ maxLength: 30 }),
    fc.constant("*"),
  );
  const headerName = fc.oneof(
    fc.constantFrom(
      "Host",
      "host",
      "Content-Length",
      "Transfer-Encoding",
      "Transfer_Encoding",
      "X-A",
      "",
      "bad name",
    ),
    fc.string({ maxLength: 10 }),
  );
  const headerValue = fc.oneof(
    fc.constantFrom("h", "0", "5", "5, 6", "chunked", "identity, chunked", "a\rb"),
    fc.string({ maxLength: 12 }),
  );
  // Weighted towards heads that get served, so the path invariants are exercised, not just rejections.
  const headArb = fc.record({
    method: fc.oneof(
      { arbitrary: fc.constantFrom("GET", "POST"), weight: 8 },
      { arbitrary: fc.constantFrom("HEAD", "OPTIONS", "CONNECT", "G T", ""), weight: 2 },
    ),
    target: targetArb,
    httpVersion: fc.oneof(
      { arbitrary: fc.constant("1.1"), weight: 8 },
      { arbitrary: fc.constantFrom("1.0", "1.2", "2.0", "x", "HTTP/1.1"), weight: 2 },
    ),
    rawHeaders: fc
      .tuple(fc.boolean(), fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }))
      .map(([withHost, pairs]) => [...(withHost ? ["Host", "h.example"] : []), ...pairs.flat()]),
  });
  const optionsArb = fc.record({
    mode: fc.constantFrom<DesyncMode>("monitor", "defensive", "strictest"),
    dropInvalidHeaderFields: fc.boolean(),
    defaultHost: fc.constant("lb.elb.localhost"),
  });

  it("never throws, and every served path is normal, rooted and stable", () => {
    let served = 0;
    fc.assert(
      fc.property(headArb, optionsArb, (h, options) => {
        const v = classifyRequest(h, options);
        if (!v.ok || v.path === "*") return;
        served++;
        expect(v.path.startsWith("/")).toBe(true);
        for (const bad of ["/../", "/./", "//"]) expect(v.path).not.toContain(bad);
        expect(v.path.endsWith("/..") || v.path.endsWith("/.")).toBe(false);
        expect(normaliseRequestPath(v.path)).toBe(v.path);
        expect(v.target.startsWith(v.path)).toBe(true);
        expect(classifyRequest({ ...h, target: v.target, rawHeaders: v.rawHeaders }, options)).toMatchObject({
          ok: true,
          path: v.path,
        });
      }),
      { numRuns: 3000 },
    );
    // The generators must reach the interesting half: a property over rejected heads only proves little.
    expect(served).toBeGreaterThan(300);
  });

  it("normalisation is idempotent on any path", () => {
    fc.assert(
      fc.property(pathArb, (p) => {
        const once = normaliseRequestPath(p);
        if (once !== null) expect(normaliseRequestPath(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});
