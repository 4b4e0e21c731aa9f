import { defaultSslPolicyName, findSslPolicy, type SslPolicy } from "@scaleout/core";
import { afterAll, describe, expect, it } from "vitest";
import type { ListenerCertificate } from "../src/tls/listener-tls.ts";
import { ListenerContexts, SecureContextCache } from "../src/tls/secure-contexts.ts";
import { type KeyKind, TestAuthority } from "./tls-fixtures.ts";

const authority = new TestAuthority();
afterAll(() => authority.close());

const policyNamed = (name: string): SslPolicy => {
  const policy = findSslPolicy(name);
  if (!policy) throw new Error(`no policy ${name}`);
  return policy;
};
const legacy = policyNamed(defaultSslPolicyName);
const modern = policyNamed("ELBSecurityPolicy-TLS13-1-2-2021-06");

function certificate(
  arn: string,
  names: string[],
  isDefault = false,
  kind: KeyKind = "rsa",
): ListenerCertificate {
  const cert = authority.issue(names, kind);
  return {
    arn,
    names,
    keyAlgorithm: cert.keyAlgorithm,
    notAfter: cert.notAfter,
    isDefault,
    certificatePem: cert.certificatePem,
    chainPem: null,
    privateKeyPem: cert.privateKeyPem,
  };
}

describe("secure contexts", () => {
  const def = certificate("default", ["default.test"], true);
  const exact = certificate("exact", ["api.example.test"]);
  const wild = certificate("wild", ["*.example.test"]);

  it("builds one context per distinct selection, and none again for an unchanged configuration", () => {
    const cache = new SecureContextCache();
    const first = ListenerContexts.build(cache, legacy, [def, exact, wild]);
    expect(cache.builds).toBe(3);
    expect(first.contextFor("api.example.test")).not.toBe(first.contextFor("www.example.test"));
    expect(first.contextFor("www.example.test")).toBe(first.contextFor("shop.example.test"));
    expect(first.contextFor(undefined)).toBe(first.contextFor("nothing.test"));
    expect(first.only).toBeUndefined();
    // A listener with its default certificate alone: one context, no ClientHello to read.
    const alone = ListenerContexts.build(cache, legacy, [def]);
    expect(alone.only).toBe(alone.contextFor("anything.test"));

    cache.sweep();
    const again = ListenerContexts.build(cache, legacy, [def, exact, wild]);
    expect(cache.builds).toBe(3);
    expect(again.contextFor("api.example.test")).toBe(first.contextFor("api.example.test"));
  });

  it("rebuilds what a rotation or a policy change touches, and forgets what no listener uses", () => {
    const cache = new SecureContextCache();
    ListenerContexts.build(cache, legacy, [def, exact]);
    cache.sweep();
    expect(cache.builds).toBe(2);
    const rotated = { ...certificate("exact", ["api.example.test"]) };
    ListenerContexts.build(cache, legacy, [def, rotated]);
    expect(cache.builds).toBe(3);
    cache.sweep();
    // The old exact context was swept: using it again builds it again.
    ListenerContexts.build(cache, legacy, [def, exact]);
    expect(cache.builds).toBe(4);
    ListenerContexts.build(cache, modern, [def, exact]);
    expect(cache.builds).toBe(6);
  });

  it("refuses material OpenSSL cannot use, when the configuration arrives", () => {
    const cache = new SecureContextCache();
    const mismatched = { ...def, privateKeyPem: exact.privateKeyPem };
    expect(() => ListenerContexts.build(cache, legacy, [mismatched])).toThrow();
    const garbage = {
      ...def,
      certificatePem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    };
    expect(() => ListenerContexts.build(cache, legacy, [garbage])).toThrow();
  });
});
