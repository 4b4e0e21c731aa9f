import { describe, expect, it } from "vitest";
import { decideLease, holdsLease, leaseRenewalMs, releaseLease } from "./proxy-lease.ts";

describe("proxy health-check lease", () => {
  it("grants a free lease and renews the holder's", () => {
    const first = decideLease(undefined, "a", 1000, 3000);
    expect(first).toEqual({ lease: { holder: "a", expiresAt: 4000 }, held: true });
    const renewed = decideLease(first.lease, "a", 2000, 3000);
    expect(renewed).toEqual({ lease: { holder: "a", expiresAt: 5000 }, held: true });
  });

  it("refuses another claimant while the lease runs, and grants it once expired", () => {
    const lease = { holder: "a", expiresAt: 4000 };
    expect(decideLease(lease, "b", 3999, 3000)).toEqual({ lease, held: false });
    expect(decideLease(lease, "b", 4000, 3000)).toEqual({
      lease: { holder: "b", expiresAt: 7000 },
      held: true,
    });
  });

  it("a released lease is free at once; only its holder releases it", () => {
    const lease = { holder: "a", expiresAt: 4000 };
    expect(releaseLease(lease, "b")).toBe(lease);
    expect(releaseLease(lease, "a")).toBeUndefined();
    expect(decideLease(releaseLease(lease, "a"), "b", 1000, 3000).held).toBe(true);
  });

  it("only the unexpired holder may write health", () => {
    const lease = { holder: "a", expiresAt: 4000 };
    expect(holdsLease(lease, "a", 3999)).toBe(true);
    expect(holdsLease(lease, "a", 4000)).toBe(false);
    expect(holdsLease(lease, "b", 1000)).toBe(false);
    expect(holdsLease(undefined, "a", 1000)).toBe(false);
  });

  it("renews three times a lease", () => {
    expect(leaseRenewalMs(3000)).toBe(1000);
    expect(leaseRenewalMs(60)).toBe(50);
  });
});
