import { describe, expect, it } from "vitest";
import {
  buildCertificateSelector,
  canonicalName,
  keyBitsOf,
  keyTypeOf,
  type SelectableCertificate,
} from "./certificate-selection.ts";

const cert = (
  arn: string,
  names: string[],
  options: Partial<Omit<SelectableCertificate, "arn" | "names">> = {},
): SelectableCertificate => ({
  arn,
  names,
  keyAlgorithm: options.keyAlgorithm ?? "RSA_2048",
  notAfter: options.notAfter ?? 1000,
  isDefault: options.isDefault ?? false,
});

const arns = (selection: { certificates: SelectableCertificate[] }) =>
  selection.certificates.map((c) => c.arn);

describe("buildCertificateSelector", () => {
  const def = cert("default", ["default.test"], { isDefault: true });
  const exact = cert("exact", ["api.example.com"]);
  const wild = cert("wild", ["*.example.com"]);
  const selector = buildCertificateSelector([def, exact, wild]);

  it("picks the exact name, then the wildcard, then the default", () => {
    expect(arns(selector.select("api.example.com"))).toEqual(["exact"]);
    expect(arns(selector.select("www.example.com"))).toEqual(["wild"]);
    expect(arns(selector.select("other.test"))).toEqual(["default"]);
  });

  it("answers the default without SNI", () => {
    expect(arns(selector.select(undefined))).toEqual(["default"]);
    expect(arns(selector.select(""))).toEqual(["default"]);
  });

  it("compares names case-insensitively and ignores a trailing dot", () => {
    expect(arns(selector.select("API.Example.COM."))).toEqual(["exact"]);
    expect(canonicalName("WWW.Example.com.")).toBe("www.example.com");
  });

  it("lets a wildcard cover exactly one label", () => {
    expect(arns(selector.select("a.b.example.com"))).toEqual(["default"]);
    expect(arns(selector.select("example.com"))).toEqual(["default"]);
  });

  it("matches subject alternative names as well as the domain name", () => {
    const san = cert("san", ["first.test", "second.test"]);
    const s = buildCertificateSelector([def, san]);
    expect(arns(s.select("second.test"))).toEqual(["san"]);
  });

  it("gives OpenSSL one certificate of each key type, ECDSA first", () => {
    const rsa = cert("rsa", ["both.test"]);
    const ec = cert("ec", ["both.test"], { keyAlgorithm: "EC_prime256v1" });
    const s = buildCertificateSelector([def, rsa, ec]);
    expect(arns(s.select("both.test"))).toEqual(["ec", "rsa"]);
  });

  it("prefers the larger key, then the later expiry, within a key type", () => {
    const small = cert("small", ["k.test"], { notAfter: 5000 });
    const large = cert("large", ["k.test"], { keyAlgorithm: "RSA_4096" });
    const older = cert("older", ["k.test"], { keyAlgorithm: "EC_prime256v1", notAfter: 10 });
    const newer = cert("newer", ["k.test"], { keyAlgorithm: "EC_prime256v1", notAfter: 20 });
    const s = buildCertificateSelector([small, large, older, newer]);
    expect(arns(s.select("k.test"))).toEqual(["newer", "large"]);
  });

  it("fills a key type the exact certificates lack from the wildcard, never the other way round", () => {
    const exactEc = cert("exact-ec", ["api.example.com"], { keyAlgorithm: "EC_secp384r1" });
    const wildRsa = cert("wild-rsa", ["*.example.com"]);
    const wildEc = cert("wild-ec", ["*.example.com"], { keyAlgorithm: "EC_secp521r1" });
    const s = buildCertificateSelector([def, exactEc, wildRsa, wildEc]);
    expect(arns(s.select("api.example.com"))).toEqual(["exact-ec", "wild-rsa"]);
  });

  it("gives equal selections equal keys", () => {
    expect(selector.select("a.example.com").key).toBe(selector.select("b.example.com").key);
    expect(selector.select("a.example.com").key).not.toBe(selector.select("api.example.com").key);
  });
});

describe("key algorithms", () => {
  it("reads ACM's KeyAlgorithm names", () => {
    expect(keyTypeOf("RSA_2048")).toBe("RSA");
    expect(keyTypeOf("EC_prime256v1")).toBe("EC");
    expect(keyBitsOf("RSA_3072")).toBe(3072);
    expect(keyBitsOf("EC_prime256v1")).toBe(256);
    expect(keyBitsOf("EC_secp384r1")).toBe(384);
    expect(keyBitsOf("EC_secp521r1")).toBe(521);
  });
});
