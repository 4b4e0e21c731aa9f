import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { createCertificateAuthority } from "../src/certificate-authority.ts";
import { keyUsageBits, newSerial, pem, writeCertificate } from "../src/certificate-der.ts";
import type { Services } from "../src/index.ts";
import { servicesPerTest } from "./services-per-test.ts";

/*
 * The certificate store over a real SQLite file: imports checked as ACM checks them, requests issued by
 * the local CA, ACM's describes, pages, tags, and a delete that a listener's use forbids.
 */

const day = 24 * 60 * 60 * 1000;
let now = Date.UTC(2026, 11, 1, 12);

const fresh = servicesPerTest((dir) => ({
  now: () => now,
  certificateAuthority: createCertificateAuthority(join(dir, "ca"), () => now),
}));

beforeEach(() => {
  now = Date.UTC(2026, 11, 1, 12);
});

/** Another CA (not scaleout's): what a user brings to ImportCertificate. */
const outside = createCertificateAuthority(undefined, () => Date.now());
async function outsideCertificate(
  names = ["imported.example.com"],
  algorithm: "RSA_2048" | "EC_prime256v1" = "EC_prime256v1",
) {
  const issued = await outside.issue(names, algorithm, now);
  return {
    certificate: issued.certificatePem,
    privateKey: issued.privateKeyPem,
    certificateChain: outside.certificatePem(),
  };
}

describe("ImportCertificate", () => {
  test("reads names, key algorithm, serial and validity from the certificate", async () => {
    const material = await outsideCertificate(["imported.example.com", "*.imported.example.com"], "RSA_2048");
    const { certificateArn } = fresh.services.certificates.import({
      ...material,
      tags: [{ key: "team", value: "web" }],
    });
    expect(certificateArn).toMatch(/^arn:aws:acm:us-east-1:000000000000:certificate\/[0-9a-f-]{36}$/);
    const detail = fresh.services.certificates.describe(certificateArn);
    const x509 = new X509Certificate(material.certificate);
    expect(detail).toMatchObject({
      domainName: "imported.example.com",
      subjectAlternativeNames: ["imported.example.com", "*.imported.example.com"],
      keyAlgorithm: "RSA_2048",
      type: "IMPORTED",
      status: "ISSUED",
      subject: "CN=imported.example.com",
      issuer: "scaleout",
      inUseBy: [],
      importedAt: new Date(now).toISOString(),
      extendedKeyUsages: [{ name: "TLS_WEB_SERVER_AUTHENTICATION", oid: "1.3.6.1.5.5.7.3.1" }],
    });
    expect(detail.serial.replaceAll(":", "").toUpperCase()).toBe(x509.serialNumber);
    expect(Date.parse(detail.notAfter)).toBe(Date.parse(x509.validTo));
    expect(fresh.services.certificates.listTags(certificateArn)).toEqual([{ key: "team", value: "web" }]);
    expect(JSON.stringify(detail)).not.toContain("PRIVATE KEY");
  });

  test("refuses what ACM refuses, with ValidationException", async () => {
    const good = await outsideCertificate();
    const other = await outsideCertificate(["other.example.com"]);
    const refused = (input: Parameters<Services["certificates"]["import"]>[0], message: RegExp) =>
      expect(() => fresh.services.certificates.import(input)).toThrow(
        expect.objectContaining({ code: "ValidationException", message: expect.stringMatching(message) }),
      );
    refused({ ...good, privateKey: other.privateKey }, /does not match/);
    refused({ ...good, certificate: "not a certificate" }, /exactly one PEM certificate/);
    refused({ ...good, certificate: good.certificate + other.certificate }, /exactly one PEM certificate/);
    refused(
      { ...good, certificate: good.certificate.replace(/[A-Za-z]{8}\n/, "AAAAAAAA\n") },
      /could not be parsed|does not match/,
    );
    refused(
      { ...good, privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" },
      /could not be parsed/,
    );
    refused({ ...good, privateKey: "x".repeat(6000) }, /limit of 5120 bytes/);
    refused(
      { ...good, certificateChain: other.certificate },
      /Could not validate the certificate with the certificate chain/,
    );
    refused({ ...good, certificateChain: "garbage" }, /PEM certificates only/);
    refused({ ...good, certificateChain: good.certificateChain.repeat(21) }, /at most 20/);
    now += 400 * day;
    refused(good, /expired/);
  });

  test("an expired or not yet valid certificate is refused, and a certificate past NotAfter reads EXPIRED", async () => {
    const early = await outsideCertificate();
    now -= day;
    expect(() => fresh.services.certificates.import(early)).toThrow(/not valid yet/);
    now += day;
    const { certificateArn } = fresh.services.certificates.import(await outsideCertificate());
    now += 396 * day;
    expect(fresh.services.certificates.describe(certificateArn).status).toBe("EXPIRED");
    expect(fresh.services.certificates.list({ certificateStatuses: ["ISSUED"] }).items).toEqual([]);
  });

  test("re-importing to an ARN rotates the material and keeps the ARN and tags", async () => {
    const { certificateArn } = fresh.services.certificates.import({
      ...(await outsideCertificate()),
      tags: [{ key: "a", value: "1" }],
    });
    const before = fresh.services.certificates.describe(certificateArn);
    now += day;
    const rotated = await outsideCertificate(["imported.example.com", "www.imported.example.com"]);
    expect(fresh.services.certificates.import({ ...rotated, certificateArn })).toEqual({ certificateArn });
    const after = fresh.services.certificates.describe(certificateArn);
    expect(after.serial).not.toBe(before.serial);
    expect(after.subjectAlternativeNames).toEqual(["imported.example.com", "www.imported.example.com"]);
    expect(after.createdAt).toBe(before.createdAt);
    expect(after.importedAt).toBe(new Date(now).toISOString());
    expect(fresh.services.certificates.get(certificateArn).certificate).toBe(rotated.certificate);
    expect(fresh.services.certificates.listTags(certificateArn)).toEqual([{ key: "a", value: "1" }]);
    const missing = certificateArn.replace(/.{12}$/, "000000000000");
    expect(() => fresh.services.certificates.import({ ...rotated, certificateArn: missing })).toThrow(
      expect.objectContaining({ code: "ResourceNotFoundException" }),
    );
    expect(() => fresh.services.certificates.import({ ...rotated, certificateArn: "arn:nope" })).toThrow(
      expect.objectContaining({ code: "InvalidArnException" }),
    );
  });
});

describe("RequestCertificate", () => {
  test("the local CA issues at once: SANs with wildcards, serverAuth, 395 days, verifiable against the CA", async () => {
    const { certificateArn } = await fresh.services.certificates.request({
      domainName: "app.example.com",
      subjectAlternativeNames: ["*.app.example.com", "app.example.com"],
      keyAlgorithm: "EC_prime256v1",
    });
    const detail = fresh.services.certificates.describe(certificateArn);
    expect(detail).toMatchObject({
      type: "AMAZON_ISSUED",
      status: "ISSUED",
      keyAlgorithm: "EC_prime256v1",
      subjectAlternativeNames: ["app.example.com", "*.app.example.com"],
      renewalEligibility: "INELIGIBLE",
      issuer: "scaleout",
    });
    expect(
      detail.domainValidationOptions?.map((v) => [v.domainName, v.validationStatus, v.validationMethod]),
    ).toEqual([
      ["app.example.com", "SUCCESS", "DNS"],
      ["*.app.example.com", "SUCCESS", "DNS"],
    ]);
    const { certificate, certificateChain } = fresh.services.certificates.get(certificateArn);
    const leaf = new X509Certificate(certificate);
    const root = new X509Certificate(fresh.services.certificates.authorityPem());
    expect(certificateChain).toBe(fresh.services.certificates.authorityPem());
    expect(leaf.checkIssued(root) && leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.checkHost("api.app.example.com")).toBe("*.app.example.com");
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBe(395 * day - 1000);
    expect(root.subject).toContain("CN=scaleout local CA");
  });

  test("the CA lives in the data directory, owner-only, and the next process reuses it", async () => {
    await fresh.services.certificates.request({ domainName: "a.example.com" });
    const ca = join(fresh.dir, "ca");
    expect(statSync(ca).mode & 0o777).toBe(0o700);
    expect(statSync(join(ca, "ca-key.pem")).mode & 0o777).toBe(0o600);
    const again = createCertificateAuthority(ca, () => now);
    expect(again.certificatePem()).toBe(fresh.services.certificates.authorityPem());
  });

  test("an empty CA directory is filled; an unreadable CA is reported, not silently replaced", async () => {
    const empty = join(fresh.dir, "empty-ca");
    mkdirSync(empty);
    const authority = createCertificateAuthority(empty, () => now);
    expect(authority.certificatePem()).toContain("BEGIN CERTIFICATE");
    expect(readdirSync(fresh.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    writeFileSync(join(empty, "ca-key.pem"), "garbage");
    expect(() => createCertificateAuthority(empty, () => now).certificatePem()).toThrow(
      /unreadable .*remove the directory/,
    );
  });

  test("an IdempotencyToken answers the same ARN for an hour", async () => {
    const first = await fresh.services.certificates.request({
      domainName: "a.example.com",
      idempotencyToken: "tok1",
    });
    expect(
      await fresh.services.certificates.request({ domainName: "a.example.com", idempotencyToken: "tok1" }),
    ).toEqual(first);
    now += 61 * 60 * 1000;
    expect(
      await fresh.services.certificates.request({ domainName: "a.example.com", idempotencyToken: "tok1" }),
    ).not.toEqual(first);
  });

  test("refuses bad names, too many names and unsupported key algorithms", async () => {
    const code = async (input: Parameters<Services["certificates"]["request"]>[0]) => {
      try {
        await fresh.services.certificates.request(input);
        return "ok";
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(await code({ domainName: "localhost" })).toBe("ValidationException");
    expect(await code({ domainName: "a.*.example.com" })).toBe("ValidationException");
    expect(await code({ domainName: "-a.example.com" })).toBe("ValidationException");
    expect(await code({ domainName: `${"a".repeat(60)}.example.com` })).toBe("ValidationException");
    expect(await code({ domainName: "a.example.com", keyAlgorithm: "RSA_4096" })).toBe("ValidationException");
    const names = Array.from({ length: 10 }, (_, i) => `n${i}.example.com`);
    expect(await code({ domainName: "a.example.com", subjectAlternativeNames: names })).toBe(
      "LimitExceededException",
    );
    expect(
      await code({
        domainName: "a.example.com",
        domainValidationOptions: [{ domainName: "b.example.com", validationDomain: "example.com" }],
      }),
    ).toBe("InvalidDomainValidationOptionsException");
    expect(await code({ domainName: "a.example.com", tags: [{ key: "aws:x", value: "" }] })).toBe(
      "InvalidTagException",
    );
  });
});

describe("ListCertificates, tags, delete", () => {
  test("pages, filters by status and key type, newest first on request", async () => {
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1000;
      arns.push(
        (
          await fresh.services.certificates.request({
            domainName: `n${i}.example.com`,
            keyAlgorithm: i % 2 ? "RSA_2048" : "EC_prime256v1",
          })
        ).certificateArn,
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = fresh.services.certificates.list({
        maxItems: 2,
        ...(token !== undefined && { nextToken: token }),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((s) => s.certificateArn));
      token = page.nextToken;
    } while (token !== undefined);
    expect(seen).toEqual(arns);
    expect(
      fresh.services.certificates.list({ keyTypes: ["RSA_2048"] }).items.map((s) => s.certificateArn),
    ).toEqual([arns[1], arns[3]]);
    expect(
      fresh.services.certificates.list({ sortOrder: "DESCENDING", maxItems: 1 }).items[0]?.certificateArn,
    ).toBe(arns[4]);
    expect(() => fresh.services.certificates.list({ nextToken: "junk" })).toThrow(
      expect.objectContaining({ code: "InvalidArgsException" }),
    );
  });

  test("tags: add, remove by key or by key and value, at most 50", async () => {
    const { certificateArn } = await fresh.services.certificates.request({ domainName: "t.example.com" });
    fresh.services.certificates.addTags(certificateArn, [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
      { key: "c" },
    ]);
    fresh.services.certificates.removeTags(certificateArn, [{ key: "a", value: "wrong" }, { key: "b" }]);
    expect(fresh.services.certificates.listTags(certificateArn)).toEqual([
      { key: "a", value: "1" },
      { key: "c", value: "" },
    ]);
    const many = Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    expect(() => fresh.services.certificates.addTags(certificateArn, many)).toThrow(
      expect.objectContaining({ code: "TooManyTagsException" }),
    );
  });

  test("a certificate a listener uses cannot be deleted; InUseBy names its load balancer", async () => {
    const { certificateArn } = await fresh.services.certificates.request({ domainName: "used.example.com" });
    const lb = fresh.services.loadBalancers.create({ name: "web" }).loadBalancer;
    const listener = fresh.services.listeners.create("web", {
      protocol: "HTTPS",
      port: 18443,
      certificates: [{ certificateArn }],
      defaultActions: [{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }],
    });
    expect(fresh.services.certificates.describe(certificateArn).inUseBy).toEqual([lb.loadBalancerArn]);
    expect(fresh.services.certificates.list().items[0]?.inUse).toBe(true);
    expect(() => fresh.services.certificates.delete(certificateArn)).toThrow(
      expect.objectContaining({ code: "ResourceInUseException" }),
    );
    fresh.services.listeners.delete(listener.listenerArn);
    fresh.services.certificates.delete(certificateArn);
    expect(() => fresh.services.certificates.describe(certificateArn)).toThrow(
      expect.objectContaining({ code: "ResourceNotFoundException" }),
    );
  });
});

describe("certificate-der", () => {
  test("writes what node and the chain checks read: a CA-signed leaf whose validity crosses 2050", async () => {
    const ca = createCertificateAuthority(undefined, () => now);
    const root = new X509Certificate(ca.certificatePem());
    const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = keys.publicKey.export({ type: "spki", format: "der" });
    const der = writeCertificate(
      {
        subject: { commonName: "long.example.com" },
        issuer: { commonName: "self" },
        publicKey: spki,
        issuerPublicKey: spki,
        notBefore: Date.UTC(2049, 0, 1),
        notAfter: Date.UTC(2051, 0, 1),
        ca: false,
        keyUsage: [keyUsageBits.digitalSignature],
        extendedKeyUsage: [],
        dnsNames: ["long.example.com"],
      },
      newSerial(),
      keys.privateKey,
    );
    const certificate = new X509Certificate(pem("CERTIFICATE", der));
    expect(Date.parse(certificate.validTo)).toBe(Date.UTC(2051, 0, 1));
    expect(Date.parse(certificate.validFrom)).toBe(Date.UTC(2049, 0, 1));
    expect(certificate.verify(keys.publicKey)).toBe(true);
    expect(certificate.checkIssued(root)).toBe(false);
  });
});
