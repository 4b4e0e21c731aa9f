import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { AcmErrors } from "./certificate-errors.ts";

/*
 * ImportCertificate's material, read and checked as ACM checks it: one PEM certificate, an unencrypted PEM
 * private key that matches it, an optional PEM chain that certifies it, a supported key algorithm, and a
 * validity period that includes now. Everything read here came from a client: sizes are bounded before
 * parsing, and whatever node:crypto refuses becomes ACM's ValidationException, never a 500.
 */

/** ACM's limits (the service model's blob sizes): 32 KB certificate, 5 KB key, 2 MB chain. */
export const materialLimits = { certificate: 32_768, privateKey: 5_120, chain: 2_097_152 } as const;

/**
 * The most certificates a chain may hold. ACM bounds a chain by size only (2 MB, some 3,000 certificates);
 * checking each link of that many blocks the api for seconds, and real chains have two or three.
 */
export const maxChainLength = 20;

/** ACM's key algorithms (KeyAlgorithm), all of which an imported certificate may have. */
export const keyAlgorithms = [
  "RSA_1024",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "EC_prime256v1",
  "EC_secp384r1",
  "EC_secp521r1",
] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

/** What a certificate says about itself, in ACM's vocabulary. */
export interface CertificateFacts {
  domainName: string;
  subjectAlternativeNames: string[];
  keyAlgorithm: KeyAlgorithm;
  /** Colon-separated lower-case hex, as ACM writes it. */
  serial: string;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  /** Extended key usage OIDs. */
  extendedKeyUsages: string[];
}

export interface ImportedMaterial extends CertificateFacts {
  certificatePem: string;
  privateKeyPem: string;
  chainPem: string | null;
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n\t ]*?-----END \1-----/g;

function blocks(text: string): Array<{ label: string; text: string }> {
  return [...text.matchAll(pemBlock)].map((match) => ({ label: match[1] ?? "", text: `${match[0]}\n` }));
}

function bounded(field: string, text: string, max: number): void {
  if (Buffer.byteLength(text, "utf8") > max)
    throw new AcmErrors.ValidationException(`The ${field} is larger than ACM's limit of ${max} bytes.`);
  if (text.trim() === "") throw new AcmErrors.ValidationException(`The ${field} is empty.`);
}

function parseCertificate(text: string, what: string): X509Certificate {
  try {
    return new X509Certificate(text);
  } catch {
    throw new AcmErrors.ValidationException(`The ${what} could not be parsed as a PEM X.509 certificate.`);
  }
}

/** ACM's key algorithm of a key, or undefined for one ACM does not support (DSA, Ed25519, RSA-PSS, ...). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") {
    const name = `RSA_${details.modulusLength ?? 0}`;
    return keyAlgorithms.find((algorithm) => algorithm === name);
  }
  if (key.asymmetricKeyType === "ec") {
    const name = `EC_${details.namedCurve ?? ""}`;
    return keyAlgorithms.find((algorithm) => algorithm === name);
  }
  return undefined;
}

const dnsNamesOf = (certificate: X509Certificate): string[] =>
  (certificate.subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4));

/** One attribute of a distinguished name as node prints it ("CN=a\nO=b"). */
const attribute = (dn: string, key: string): string | undefined =>
  dn
    .split("\n")
    .find((line) => line.startsWith(`${key}=`))
    ?.slice(key.length + 1);

/** node prints `Dec  1 00:00:00 2026 GMT`. */
function instant(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new AcmErrors.ValidationException(`The certificate's validity '${text}' is not readable.`);
  return ms;
}

/** The facts of a parsed certificate. */
export function factsOf(certificate: X509Certificate): CertificateFacts {
  const keyAlgorithm = keyAlgorithmOf(certificate.publicKey);
  if (keyAlgorithm === undefined)
    throw new AcmErrors.ValidationException(
      `The certificate's key algorithm is not supported: use one of ${keyAlgorithms.join(", ")}.`,
    );
  const dnsNames = dnsNamesOf(certificate);
  const commonName = attribute(certificate.subject, "CN");
  const domainName = commonName ?? dnsNames[0];
  if (domainName === undefined)
    throw new AcmErrors.ValidationException(
      "The certificate names no domain: it has no common name and no DNS name.",
    );
  return {
    domainName,
    subjectAlternativeNames: dnsNames.length > 0 ? dnsNames : [domainName],
    keyAlgorithm,
    serial: (certificate.serialNumber.toLowerCase().match(/../g) ?? []).join(":"),
    subject: certificate.subject.split("\n").join(","),
    issuer:
      attribute(certificate.issuer, "O") ??
      attribute(certificate.issuer, "CN") ??
      certificate.issuer.split("\n").join(","),
    notBefore: instant(certificate.validFrom),
    notAfter: instant(certificate.validTo),
    extendedKeyUsages: certificate.keyUsage ?? [],
  };
}

/** Reads and checks ImportCertificate's material; `now` decides whether it is within its validity. */
export function readImport(
  input: { certificate: string; privateKey: string; certificateChain?: string | undefined },
  now: number,
): ImportedMaterial {
  bounded("certificate", input.certificate, materialLimits.certificate);
  bounded("private key", input.privateKey, materialLimits.privateKey);
  if (input.certificateChain !== undefined)
    bounded("certificate chain", input.certificateChain, materialLimits.chain);

  const certificateBlocks = blocks(input.certificate);
  if (certificateBlocks.length !== 1 || certificateBlocks[0]?.label !== "CERTIFICATE")
    throw new AcmErrors.ValidationException(
      "The certificate field must contain exactly one PEM certificate (-----BEGIN CERTIFICATE-----).",
    );
  const certificatePem = certificateBlocks[0].text;
  const certificate = parseCertificate(certificatePem, "certificate");

  const keyBlocks = blocks(input.privateKey);
  const keyBlock = keyBlocks[0];
  if (keyBlocks.length !== 1 || keyBlock === undefined || !/PRIVATE KEY$/.test(keyBlock.label))
    throw new AcmErrors.ValidationException(
      "The private key field must contain exactly one PEM private key.",
    );
  if (keyBlock.label === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(input.privateKey))
    throw new AcmErrors.ValidationException(
      "The private key is encrypted: ACM imports unencrypted keys only.",
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyBlock.text, format: "pem" });
  } catch {
    throw new AcmErrors.ValidationException("The private key could not be parsed.");
  }
  if (keyAlgorithmOf(key) === undefined)
    throw new AcmErrors.ValidationException("The private key's algorithm is not supported.");
  if (!certificate.checkPrivateKey(key))
    throw new AcmErrors.ValidationException(
      "The private key does not match the public key in the certificate.",
    );

  let chainPem: string | null = null;
  if (input.certificateChain !== undefined && input.certificateChain.trim() !== "") {
    const chainBlocks = blocks(input.certificateChain);
    if (chainBlocks.length === 0 || chainBlocks.some((block) => block.label !== "CERTIFICATE"))
      throw new AcmErrors.ValidationException("The certificate chain must contain PEM certificates only.");
    if (chainBlocks.length > maxChainLength)
      throw new AcmErrors.ValidationException(
        `The certificate chain holds ${chainBlocks.length} certificates: scaleout takes at most ${maxChainLength}.`,
      );
    const chain = chainBlocks.map((block, i) =>
      parseCertificate(block.text, `certificate ${i + 1} of the chain`),
    );
    // Each link certifies the one before it, starting from the certificate itself.
    [certificate, ...chain].slice(0, -1).forEach((child, i) => {
      const parent = chain[i];
      if (parent && !(child.checkIssued(parent) && child.verify(parent.publicKey)))
        throw new AcmErrors.ValidationException(
          "Could not validate the certificate with the certificate chain.",
        );
    });
    chainPem = chainBlocks.map((block) => block.text).join("");
  }

  const facts = factsOf(certificate);
  if (now < facts.notBefore)
    throw new AcmErrors.ValidationException(
      "The certificate is not valid yet: its validity period has not begun.",
    );
  if (now > facts.notAfter) throw new AcmErrors.ValidationException("The certificate has expired.");
  return { ...facts, certificatePem, privateKeyPem: keyBlock.text, chainPem };
}
