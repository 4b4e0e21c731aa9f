import type { Tag } from "@scaleout/core";
import type { IssuedKeyAlgorithm } from "./certificate-authority.ts";
import { AcmErrors } from "./certificate-errors.ts";
import type { CertificateOptions } from "./certificate-views.ts";

/*
 * What ACM's operations take, and ACM's checks of it that need no registry: ARNs, domain names, tags and
 * RequestCertificate's options. Both doors reach these through the services.
 */

/** ACM's quota of certificates in an account (imported and issued). */
export const maxCertificates = 2500;
/** ACM's default quota of domain names on one certificate. */
export const maxDomainNames = 10;
/** ACM's tag quota per certificate. */
export const maxCertificateTags = 50;
/** RequestCertificate's IdempotencyToken holds for an hour. */
export const idempotencyWindow = 60 * 60 * 1000;

export const issuedKeyAlgorithms: readonly IssuedKeyAlgorithm[] = [
  "RSA_2048",
  "EC_prime256v1",
  "EC_secp384r1",
];
export const validationMethods = ["DNS", "EMAIL", "HTTP"] as const;

export interface ImportCertificateInput {
  certificateArn?: string;
  certificate: string;
  privateKey: string;
  certificateChain?: string;
  tags?: Tag[];
}

export interface RequestCertificateInput {
  domainName: string;
  subjectAlternativeNames?: string[];
  validationMethod?: string;
  idempotencyToken?: string;
  keyAlgorithm?: string;
  domainValidationOptions?: Array<{ domainName: string; validationDomain: string }>;
  options?: CertificateOptions;
  tags?: Tag[];
}

export interface ListCertificatesInput {
  certificateStatuses?: string[];
  /** Only these key algorithms; all of them when absent (ACM's own default is applied by the AWS door). */
  keyTypes?: string[];
  extendedKeyUsage?: string[];
  keyUsage?: string[];
  maxItems?: number;
  nextToken?: string;
  sortOrder?: "ASCENDING" | "DESCENDING";
}

/** GetCertificate: the certificate and its chain, PEM. Never the key. */
export interface CertificateMaterial {
  certificate: string;
  certificateChain?: string;
}

const arnPattern = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;

/** ACM's check of a certificate ARN's form, before it looks the certificate up. */
export function checkCertificateArn(arn: string): void {
  if (!arnPattern.test(arn))
    throw new AcmErrors.InvalidArnException(
      `The ARN '${arn.slice(0, 200)}' is not a valid ACM certificate ARN.`,
    );
}

const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A fully qualified domain name, or a wildcard (`*.`) on the leftmost label only. */
export function checkDomainName(name: string, field: string): void {
  const bare = name.startsWith("*.") ? name.slice(2) : name;
  const labels = bare.split(".");
  if (name.length > 253 || labels.length < 2 || !labels.every((part) => label.test(part)))
    throw new AcmErrors.ValidationException(
      `${field} '${name.slice(0, 260)}' is not a fully qualified domain name (a wildcard may only be the leftmost label, '*.').`,
    );
}

export function checkTagList(list: Tag[]): void {
  for (const tag of list) {
    if (typeof tag.key !== "string" || tag.key.length < 1 || tag.key.length > 128)
      throw new AcmErrors.InvalidParameterException("A tag key must have 1 to 128 characters.");
    if (tag.key.toLowerCase().startsWith("aws:"))
      throw new AcmErrors.InvalidTagException(`The tag key '${tag.key}' uses the reserved prefix 'aws:'.`);
    if (tag.value !== undefined && (typeof tag.value !== "string" || tag.value.length > 256))
      throw new AcmErrors.InvalidParameterException("A tag value must have at most 256 characters.");
  }
}

/** RequestCertificate's input checked as ACM checks it: its names (deduplicated, the domain first). */
export function checkRequest(input: RequestCertificateInput): {
  names: string[];
  keyAlgorithm: IssuedKeyAlgorithm;
  validationMethod: string;
} {
  checkDomainName(input.domainName, "DomainName");
  // RFC 5280 bounds a common name at 64 characters; ACM bounds the first domain name the same way.
  if (input.domainName.length > 64)
    throw new AcmErrors.ValidationException(
      "DomainName must have at most 64 characters: it is the certificate's common name.",
    );
  for (const name of input.subjectAlternativeNames ?? []) checkDomainName(name, "SubjectAlternativeName");
  const names = [...new Set([input.domainName, ...(input.subjectAlternativeNames ?? [])])];
  if (names.length > maxDomainNames)
    throw new AcmErrors.LimitExceededException(
      `A certificate can have at most ${maxDomainNames} domain names (the domain name and its subject alternative names); this request has ${names.length}.`,
    );
  const keyAlgorithm = input.keyAlgorithm ?? "RSA_2048";
  const issuedAlgorithm = issuedKeyAlgorithms.find((algorithm) => algorithm === keyAlgorithm);
  if (issuedAlgorithm === undefined)
    throw new AcmErrors.ValidationException(
      `KeyAlgorithm ${keyAlgorithm} cannot be requested: use ${issuedKeyAlgorithms.join(", ")}.`,
    );
  const validationMethod = input.validationMethod ?? "DNS";
  if (!validationMethods.some((method) => method === validationMethod))
    throw new AcmErrors.ValidationException(
      `ValidationMethod must be one of ${validationMethods.join(", ")}.`,
    );
  for (const option of input.domainValidationOptions ?? []) {
    if (!names.includes(option.domainName))
      throw new AcmErrors.InvalidDomainValidationOptionsException(
        `DomainValidationOptions names '${option.domainName}', which is not a domain of the request.`,
      );
  }
  if (input.tags) checkTagList(input.tags);
  return { names, keyAlgorithm: issuedAlgorithm, validationMethod };
}
