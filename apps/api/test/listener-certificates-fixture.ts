import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Services } from "@scaleout/services";

/**
 * A certificate in ACM's store, issued at once by the local certificate authority (RequestCertificate),
 * for `domain`. EC keys keep the tests fast.
 */
export function storeCertificate(services: Services, domain = "www.example.com"): { arn: string } {
  const { certificateArn } = services.certificates.request({
    domainName: domain,
    keyAlgorithm: "EC_prime256v1",
  });
  return { arn: certificateArn };
}

/**
 * A self-signed certificate made by `openssl req -x509` (node:crypto cannot write X.509) and imported as
 * ACM's ImportCertificate would.
 */
export function importCertificate(services: Services, domain = "www.example.com"): { arn: string } {
  const dir = mkdtempSync(join(tmpdir(), "scaleout-cert-"));
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
    const { certificateArn } = services.certificates.import({
      certificate: readFileSync(join(dir, "cert.pem"), "utf8"),
      privateKey: readFileSync(join(dir, "key.pem"), "utf8"),
    });
    return { arn: certificateArn };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
