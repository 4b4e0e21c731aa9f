import { describe, expect, test } from "vitest";
import { checkCertificateArn, checkDomainName, checkRequest, checkTagList } from "./certificate-inputs.ts";

const codeOf = (run: () => unknown): string => {
  try {
    run();
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? "thrown";
  }
};

describe("ACM's input checks", () => {
  test("certificate ARNs", () => {
    expect(codeOf(() => checkCertificateArn("arn:aws:acm:eu-west-1:123456789012:certificate/0f-1"))).toBe(
      "ok",
    );
    for (const arn of [
      "arn:aws:acm:eu-west-1:123456789012:certificate/",
      "arn:aws:acm:eu-west-1:1234:certificate/x",
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:certificate/x",
      "arn:aws:acm:eu-west-1:123456789012:certificate/x/../y",
      "x".repeat(3000),
    ])
      expect(
        codeOf(() => checkCertificateArn(arn)),
        arn,
      ).toBe("InvalidArnException");
  });

  test.each([
    ["example.com", "ok"],
    ["*.example.com", "ok"],
    ["a-b.c.example.com", "ok"],
    ["localhost", "ValidationException"],
    ["*.com.", "ValidationException"],
    ["a.*.example.com", "ValidationException"],
    ["*example.com", "ValidationException"],
    ["-a.example.com", "ValidationException"],
    ["a-.example.com", "ValidationException"],
    ["a..example.com", "ValidationException"],
    [`${"a".repeat(64)}.example.com`, "ValidationException"],
    [`${"a.".repeat(130)}com`, "ValidationException"],
    ["exa mple.com", "ValidationException"],
    ["ex\u00e4mple.com", "ValidationException"],
  ])("domain name %s: %s", (name, expected) => {
    expect(codeOf(() => checkDomainName(name, "DomainName"))).toBe(expected);
  });

  test("RequestCertificate: names deduplicated with the domain first, defaults, quotas", () => {
    expect(
      checkRequest({
        domainName: "a.example.com",
        subjectAlternativeNames: ["*.a.example.com", "a.example.com"],
      }),
    ).toEqual({
      names: ["a.example.com", "*.a.example.com"],
      keyAlgorithm: "RSA_2048",
      validationMethod: "DNS",
    });
    const nine = Array.from({ length: 9 }, (_, i) => `n${i}.example.com`);
    expect(codeOf(() => checkRequest({ domainName: "a.example.com", subjectAlternativeNames: nine }))).toBe(
      "ok",
    );
    expect(
      codeOf(() =>
        checkRequest({ domainName: "a.example.com", subjectAlternativeNames: [...nine, "x.example.com"] }),
      ),
    ).toBe("LimitExceededException");
    expect(codeOf(() => checkRequest({ domainName: "a.example.com", keyAlgorithm: "EC_secp521r1" }))).toBe(
      "ValidationException",
    );
    expect(
      codeOf(() => checkRequest({ domainName: "a.example.com", validationMethod: "CARRIER_PIGEON" })),
    ).toBe("ValidationException");
  });

  test("tags", () => {
    expect(codeOf(() => checkTagList([{ key: "a", value: "" }, { key: "b" }]))).toBe("ok");
    expect(codeOf(() => checkTagList([{ key: "AWS:x" }]))).toBe("InvalidTagException");
    expect(codeOf(() => checkTagList([{ key: "" }]))).toBe("InvalidParameterException");
    expect(codeOf(() => checkTagList([{ key: "a", value: "v".repeat(257) }]))).toBe(
      "InvalidParameterException",
    );
  });
});
