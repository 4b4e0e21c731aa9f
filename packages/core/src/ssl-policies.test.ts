import { createSecureContext } from "node:tls";
import { describe, expect, test } from "vitest";
import {
  availableHybridPqGroups,
  defaultSslPolicyName,
  findSslPolicy,
  sslPolicies,
  tlsOptionsOf,
} from "./ssl-policies.ts";

describe("ELB security policies", () => {
  test("names are unique and every family AWS documents for ALB is there", () => {
    const names = sslPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      defaultSslPolicyName,
      "ELBSecurityPolicy-2015-05",
      "ELBSecurityPolicy-TLS-1-1-2017-01",
      "ELBSecurityPolicy-TLS-1-2-2017-01",
      "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
      "ELBSecurityPolicy-FS-2018-06",
      "ELBSecurityPolicy-FS-1-2-Res-2020-10",
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
      "ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07",
      "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
      "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
      "ELBSecurityPolicy-TLS13-1-0-FIPS-PQ-2025-09",
    ]) {
      expect(findSslPolicy(name), name).toBeDefined();
    }
    expect(sslPolicies.filter((p) => p.name.endsWith("-PQ-2025-09"))).toHaveLength(13);
    expect(findSslPolicy("ELBSecurityPolicy-TLS13-1-1-PQ-2025-09")).toBeUndefined();
  });

  test("each policy lists its ciphers once, TLS 1.3 suites only where it speaks TLS 1.3", () => {
    for (const policy of sslPolicies) {
      expect(new Set(policy.ciphers).size, policy.name).toBe(policy.ciphers.length);
      const has13 = policy.ciphers.some((c) => c.startsWith("TLS_"));
      expect(has13, policy.name).toBe(policy.protocols.includes("TLSv1.3"));
      if (policy.name.includes("FIPS")) expect(policy.ciphers).not.toContain("TLS_CHACHA20_POLY1305_SHA256");
    }
  });

  test("the default policy is AWS's 2016-08 list, in AWS's order", () => {
    const policy = findSslPolicy(defaultSslPolicyName);
    expect(policy?.protocols).toEqual(["TLSv1", "TLSv1.1", "TLSv1.2"]);
    expect(policy?.ciphers.slice(0, 6)).toEqual([
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES128-SHA256",
      "ECDHE-RSA-AES128-SHA256",
      "ECDHE-ECDSA-AES128-SHA",
      "ECDHE-RSA-AES128-SHA",
    ]);
    expect(policy?.ciphers).toHaveLength(18);
  });

  test("a PQ policy has the protocols and ciphers of the policy it extends", () => {
    const pq = findSslPolicy("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
    const classical = findSslPolicy("ELBSecurityPolicy-TLS13-1-2-Res-2021-06");
    expect(pq?.ciphers).toEqual(classical?.ciphers);
    expect(pq?.protocols).toEqual(classical?.protocols);
    expect(pq?.keyExchange).toBe("hybrid-pq");
  });

  test("every policy's options make a secure context on this runtime", () => {
    for (const policy of sslPolicies) {
      const options = tlsOptionsOf(policy);
      expect(() => createSecureContext(options), policy.name).not.toThrow();
    }
  });

  test("PQ policies put the runtime's hybrid groups first and keep classical curves", () => {
    const pq = findSslPolicy("ELBSecurityPolicy-TLS13-1-2-PQ-2025-09");
    if (!pq) throw new Error("missing policy");
    const groups = tlsOptionsOf(pq).ecdhCurve?.split(":") ?? [];
    const hybrids = availableHybridPqGroups();
    expect(groups.slice(0, hybrids.length)).toEqual(hybrids);
    expect(groups).toContain("X25519");
    // OpenSSL 3.5 (Node 24) has ML-KEM; older runtimes fall back to classical groups.
    const [major = 0, minor = 0] = (process.versions.openssl ?? "0.0").split(".").map(Number);
    if (major > 3 || (major === 3 && minor >= 5)) expect(hybrids).toContain("X25519MLKEM768");
    const classical = findSslPolicy("ELBSecurityPolicy-TLS13-1-2-2021-06");
    if (!classical) throw new Error("missing policy");
    expect(tlsOptionsOf(classical).ecdhCurve).toBeUndefined();
  });
});
