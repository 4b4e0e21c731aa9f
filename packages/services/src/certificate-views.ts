import { createHash, X509Certificate } from "node:crypto";
import { type Db, schema, type Tx } from "@scaleout/db";
import { eq, inArray } from "drizzle-orm";
import { iso } from "./context.ts";

/*
 * How ACM describes a stored certificate: CertificateDetail (DescribeCertificate) and CertificateSummary
 * (ListCertificates), built from a row of the certificates table. The private key column is never read
 * into either: these views are all that leaves the service.
 */

const { certificates, listenerCertificates, listeners } = schema;
export type CertificateRow = typeof certificates.$inferSelect;

/** The columns a view is made of: every column but the private key. */
export const publicColumns = {
  arn: certificates.arn,
  domainName: certificates.domainName,
  subjectAlternativeNames: certificates.subjectAlternativeNames,
  type: certificates.type,
  status: certificates.status,
  keyAlgorithm: certificates.keyAlgorithm,
  serial: certificates.serial,
  subject: certificates.subject,
  issuer: certificates.issuer,
  notBefore: certificates.notBefore,
  notAfter: certificates.notAfter,
  certificatePem: certificates.certificatePem,
  chainPem: certificates.chainPem,
  request: certificates.request,
  createdAt: certificates.createdAt,
  importedAt: certificates.importedAt,
  issuedAt: certificates.issuedAt,
};
export type PublicRow = Omit<CertificateRow, "privateKeyPem">;

/** RequestCertificate's options as the request column keeps them. */
export interface RequestRecord {
  idempotencyToken?: string;
  validationMethod: string;
  domainValidationOptions?: Array<{ domainName: string; validationDomain: string }>;
  options?: CertificateOptions;
}

export interface CertificateOptions {
  certificateTransparencyLoggingPreference?: string;
  export?: string;
}

export interface DomainValidation {
  domainName: string;
  validationDomain: string;
  validationStatus: string;
  validationMethod: string;
  validationEmails?: string[];
  resourceRecord?: { name: string; type: string; value: string };
}

export interface CertificateDetail {
  certificateArn: string;
  domainName: string;
  subjectAlternativeNames: string[];
  domainValidationOptions?: DomainValidation[];
  serial: string;
  subject: string;
  issuer: string;
  createdAt: string;
  issuedAt?: string;
  importedAt?: string;
  status: string;
  notBefore: string;
  notAfter: string;
  keyAlgorithm: string;
  signatureAlgorithm?: string;
  /** The load balancers whose listeners use the certificate, as ACM lists them. */
  inUseBy: string[];
  type: string;
  renewalEligibility: string;
  keyUsages: Array<{ name: string }>;
  extendedKeyUsages: Array<{ name: string; oid: string }>;
  options: CertificateOptions;
}

export interface CertificateSummary {
  certificateArn: string;
  domainName: string;
  subjectAlternativeNameSummaries: string[];
  hasAdditionalSubjectAlternativeNames: boolean;
  status: string;
  type: string;
  keyAlgorithm: string;
  keyUsages: string[];
  extendedKeyUsages: string[];
  inUse: boolean;
  renewalEligibility: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  issuedAt?: string;
  importedAt?: string;
}

/** ACM's names of the extended key usages (ExtendedKeyUsageName), by OID. */
const extendedKeyUsageNames: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "TLS_WEB_SERVER_AUTHENTICATION",
  "1.3.6.1.5.5.7.3.2": "TLS_WEB_CLIENT_AUTHENTICATION",
  "1.3.6.1.5.5.7.3.3": "CODE_SIGNING",
  "1.3.6.1.5.5.7.3.4": "EMAIL_PROTECTION",
  "1.3.6.1.5.5.7.3.5": "IPSEC_END_SYSTEM",
  "1.3.6.1.5.5.7.3.6": "IPSEC_TUNNEL",
  "1.3.6.1.5.5.7.3.7": "IPSEC_USER",
  "1.3.6.1.5.5.7.3.8": "TIME_STAMPING",
  "1.3.6.1.5.5.7.3.9": "OCSP_SIGNING",
};

/** ACM's 10-domain quota counts the summary's names; the rest are "additional". */
const summaryNames = 100;

export const isIssued = (row: Pick<PublicRow, "type">) => row.type === "AMAZON_ISSUED";

/** ISSUED until NotAfter passes, EXPIRED after: a status of time, not of a stored transition. */
export const statusAt = (row: Pick<PublicRow, "status" | "notAfter">, now: number): string =>
  row.status === "ISSUED" && now > row.notAfter ? "EXPIRED" : row.status;

function extendedKeyUsagesOf(row: PublicRow): Array<{ name: string; oid: string }> {
  let oids: string[] = [];
  try {
    oids = new X509Certificate(row.certificatePem).keyUsage ?? [];
  } catch {
    // Stored material was checked when it came in; a row that no longer parses has no usages to report.
  }
  return oids.map((oid) => ({ name: extendedKeyUsageNames[oid] ?? "CUSTOM", oid }));
}

/**
 * The key usages of an issued certificate are the local CA's (certificate-authority.ts). An imported
 * certificate's KeyUsage extension is not exposed by node:crypto, and scaleout does not parse DER for it:
 * its key usages are not reported (docs/aws-differences.md).
 */
function keyUsagesOf(row: PublicRow): string[] {
  if (!isIssued(row)) return [];
  return row.keyAlgorithm.startsWith("RSA")
    ? ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]
    : ["DIGITAL_SIGNATURE"];
}

/** ACM's CNAME for DNS validation, made up but stable for a certificate and name. */
function validationRecord(arn: string, domain: string): { name: string; type: string; value: string } {
  const digest = createHash("sha256").update(`${arn}|${domain}`).digest("hex");
  return {
    name: `_${digest.slice(0, 32)}.${domain}.`,
    type: "CNAME",
    value: `_${digest.slice(32)}.acm-validations.aws.`,
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The request column read back field by field: it is JSON, and a reader trusts no shape it did not check. */
export function requestRecordOf(value: Record<string, unknown> | null): RequestRecord {
  const options = value?.options;
  const validations = value?.domainValidationOptions;
  const token = text(value?.idempotencyToken);
  return {
    validationMethod: text(value?.validationMethod) ?? "DNS",
    ...(token !== undefined && { idempotencyToken: token }),
    ...(Array.isArray(validations) && {
      domainValidationOptions: validations.flatMap((item: unknown) => {
        const entry = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
        const domainName = text(entry.domainName);
        const validationDomain = text(entry.validationDomain);
        return domainName !== undefined && validationDomain !== undefined
          ? [{ domainName, validationDomain }]
          : [];
      }),
    }),
    ...(typeof options === "object" &&
      options !== null && {
        options: Object.fromEntries(
          Object.entries(options).filter(
            ([key, v]) =>
              (key === "certificateTransparencyLoggingPreference" || key === "export") &&
              typeof v === "string",
          ),
        ),
      }),
  };
}

function domainValidations(row: PublicRow): DomainValidation[] | undefined {
  if (!isIssued(row)) return undefined;
  const request = requestRecordOf(row.request);
  return row.subjectAlternativeNames.map((name) => {
    const base = name.startsWith("*.") ? name.slice(2) : name;
    const validationDomain =
      request.domainValidationOptions?.find((option) => option.domainName === name)?.validationDomain ?? base;
    return {
      domainName: name,
      validationDomain,
      validationStatus: "SUCCESS",
      validationMethod: request.validationMethod,
      ...(request.validationMethod === "EMAIL"
        ? {
            validationEmails: ["admin", "administrator", "hostmaster", "postmaster", "webmaster"].map(
              (user) => `${user}@${validationDomain}`,
            ),
          }
        : { resourceRecord: validationRecord(row.arn, base) }),
    };
  });
}

/** The load balancers that use each certificate, through their listeners. */
export function usersOf(db: Db | Tx, arns: string[]): Map<string, string[]> {
  const users = new Map<string, string[]>(arns.map((arn) => [arn, []]));
  if (arns.length === 0) return users;
  const rows = db
    .selectDistinct({
      certificateArn: listenerCertificates.certificateArn,
      loadBalancerArn: listeners.loadBalancerArn,
    })
    .from(listenerCertificates)
    .innerJoin(listeners, eq(listeners.arn, listenerCertificates.listenerArn))
    .where(inArray(listenerCertificates.certificateArn, arns))
    .all();
  for (const row of rows) users.get(row.certificateArn)?.push(row.loadBalancerArn);
  return users;
}

const optionsOf = (row: PublicRow): CertificateOptions => ({
  certificateTransparencyLoggingPreference: "ENABLED",
  export: "DISABLED",
  ...(isIssued(row) ? requestRecordOf(row.request).options : {}),
});

export function detailOf(row: PublicRow, inUseBy: string[], now: number): CertificateDetail {
  const validations = domainValidations(row);
  return {
    certificateArn: row.arn,
    domainName: row.domainName,
    subjectAlternativeNames: row.subjectAlternativeNames,
    ...(validations !== undefined && { domainValidationOptions: validations }),
    serial: row.serial,
    subject: row.subject,
    issuer: row.issuer,
    createdAt: iso(row.createdAt),
    ...(row.issuedAt !== null && { issuedAt: iso(row.issuedAt) }),
    ...(row.importedAt !== null && { importedAt: iso(row.importedAt) }),
    status: statusAt(row, now),
    notBefore: iso(row.notBefore),
    notAfter: iso(row.notAfter),
    keyAlgorithm: row.keyAlgorithm,
    ...(isIssued(row) && { signatureAlgorithm: "SHA256WITHECDSA" }),
    inUseBy,
    type: row.type,
    // scaleout renews nothing (docs/aws-differences.md).
    renewalEligibility: "INELIGIBLE",
    keyUsages: keyUsagesOf(row).map((name) => ({ name })),
    extendedKeyUsages: extendedKeyUsagesOf(row),
    options: optionsOf(row),
  };
}

export function summaryOf(row: PublicRow, inUse: boolean, now: number): CertificateSummary {
  return {
    certificateArn: row.arn,
    domainName: row.domainName,
    subjectAlternativeNameSummaries: row.subjectAlternativeNames.slice(0, summaryNames),
    hasAdditionalSubjectAlternativeNames: row.subjectAlternativeNames.length > summaryNames,
    status: statusAt(row, now),
    type: row.type,
    keyAlgorithm: row.keyAlgorithm,
    keyUsages: keyUsagesOf(row),
    extendedKeyUsages: extendedKeyUsagesOf(row).map((usage) => usage.name),
    inUse,
    renewalEligibility: "INELIGIBLE",
    notBefore: iso(row.notBefore),
    notAfter: iso(row.notAfter),
    createdAt: iso(row.createdAt),
    ...(row.issuedAt !== null && { issuedAt: iso(row.issuedAt) }),
    ...(row.importedAt !== null && { importedAt: iso(row.importedAt) }),
  };
}
