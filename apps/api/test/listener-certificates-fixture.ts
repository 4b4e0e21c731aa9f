import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectStatus, type TestApp } from "./helpers.ts";

/** A self-signed EC certificate for `domain`, made by `openssl req -x509` (node:crypto cannot write X.509). */
export function selfSigned(domain = "www.example.com"): { certificatePem: string; privateKeyPem: string } {
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
    return {
      certificatePem: readFileSync(join(dir, "cert.pem"), "utf8"),
      privateKeyPem: readFileSync(join(dir, "key.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A certificate issued at once by ACM's local authority, requested over REST (EC keys keep tests fast). */
export async function requestCertificate(api: TestApp, domain = "www.example.com"): Promise<{ arn: string }> {
  const reply = await api.request("POST", "/v1/certificates/request", {
    domainName: domain,
    keyAlgorithm: "EC_prime256v1",
  });
  expectStatus(reply, 201);
  return { arn: reply.body.certificateArn };
}

/** A self-signed certificate imported over REST (ACM's ImportCertificate). */
export async function importCertificate(api: TestApp, domain = "www.example.com"): Promise<{ arn: string }> {
  const { certificatePem, privateKeyPem } = selfSigned(domain);
  const reply = await api.request("POST", "/v1/certificates", {
    certificate: certificatePem,
    privateKey: privateKeyPem,
  });
  expectStatus(reply, 201);
  return { arn: reply.body.certificateArn };
}
