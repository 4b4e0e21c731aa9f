import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asNetworkHealthResult, compileStoredMatcher } from "./nlb-health-checks.ts";

describe("NLB health checks", () => {
  it("compiles NLB's wider matchers (up to 599) and never throws on what is stored", () => {
    const matches = compileStoredMatcher("200-399,503");
    expect([200, 302, 399, 503].map(matches)).toEqual([true, true, true, true]);
    expect([199, 400, 502].map(matches)).toEqual([false, false, false]);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 999 }), (code, status) => {
        expect(typeof compileStoredMatcher(code)(status)).toBe("boolean");
      }),
    );
    expect(compileStoredMatcher("nonsense")(204)).toBe(true);
  });

  it("reports every failure as Target.FailedHealthChecks, keeping the description", () => {
    expect(
      asNetworkHealthResult({ ok: false, reason: "Target.Timeout", description: "Request timed out" }),
    ).toEqual({ ok: false, reason: "Target.FailedHealthChecks", description: "Request timed out" });
    expect(asNetworkHealthResult({ ok: true, status: 0 })).toEqual({ ok: true, status: 0 });
  });
});
