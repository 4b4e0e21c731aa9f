import { execFileSync } from "node:child_process";
import { randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schema } from "@scaleout/db";
import type { Services } from "@scaleout/services";

export interface StoredCertificate {
  arn: string;
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * A self-signed certificate for `domain`, made by `openssl req -x509` (node:crypto cannot write X.509),
 * stored as ACM would hold an imported one. Until ACM's ImportCertificate is on the AWS door this is how
 * the listener tests get certificates the ELB checks accept.
 */
export function storeCertificate(services: Services, domain = "www.example.com"): StoredCertificate {
  const dir = mkdtempSync(join(tmpdir(), "scaleout-cert-"));
  let certificatePem: string;
  let privateKeyPem: string;
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${domain}`,
        "-addext",
        `subjectAltName=DNS:${domain}`,
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    certificatePem = readFileSync(join(dir, "cert.pem"), "utf8");
    privateKeyPem = readFileSync(join(dir, "key.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const x509 = new X509Certificate(certificatePem);
  const now = Date.now();
  const arn = `arn:aws:acm:${services.ctx.partition.region}:${services.ctx.partition.accountId}:certificate/${randomUUID()}`;
  services.ctx.db
    .insert(schema.certificates)
    .values({
      arn,
      domainName: domain,
      subjectAlternativeNames: [domain],
      type: "IMPORTED",
      status: "ISSUED",
      keyAlgorithm: "EC_prime256v1",
      serial: x509.serialNumber,
      subject: x509.subject,
      issuer: x509.issuer,
      notBefore: Date.parse(x509.validFrom),
      notAfter: Date.parse(x509.validTo),
      certificatePem,
      chainPem: null,
      privateKeyPem,
      request: null,
      createdAt: now,
      importedAt: now,
      issuedAt: null,
    })
    .run();
  return { arn, certificatePem, privateKeyPem };
}
