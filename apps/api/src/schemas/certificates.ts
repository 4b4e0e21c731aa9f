import type {
  CertificateDetail as ServiceDetail,
  CertificateSummary as ServiceSummary,
} from "@scaleout/services";
import { type Static, Type } from "@sinclair/typebox";
import { StringEnum, Tag, Tags } from "./common.ts";

/*
 * The REST shapes of ACM's certificates. Field names and bounds are ACM's (botocore acm 2015-12-08); PEM
 * travels as text here, where the AWS door takes it base64. The assertions at the end make the compiler
 * compare the response schemas with the services' types, so neither drifts from the other.
 */

const keyAlgorithm = StringEnum([
  "RSA_1024",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "EC_prime256v1",
  "EC_secp384r1",
  "EC_secp521r1",
]);
const status = StringEnum([
  "PENDING_VALIDATION",
  "ISSUED",
  "INACTIVE",
  "EXPIRED",
  "VALIDATION_TIMED_OUT",
  "REVOKED",
  "FAILED",
]);
const domainName = Type.String({ minLength: 1, maxLength: 253 });
const timestamp = Type.String({ format: "date-time" });
const Options = Type.Object(
  {
    certificateTransparencyLoggingPreference: Type.Optional(StringEnum(["ENABLED", "DISABLED"])),
    export: Type.Optional(StringEnum(["ENABLED", "DISABLED"])),
  },
  { additionalProperties: false },
);

const material = {
  certificate: Type.String({ minLength: 1, maxLength: 32_768, description: "PEM certificate" }),
  privateKey: Type.String({
    minLength: 1,
    maxLength: 5_120,
    description: "PEM private key, unencrypted; stored owner-only and never returned",
  }),
  certificateChain: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2_097_152, description: "PEM certificates of the chain" }),
  ),
};

export const ImportCertificate = Type.Object({ ...material, tags: Tags }, { additionalProperties: false });
export const ReimportCertificate = Type.Object(material, { additionalProperties: false });

export const RequestCertificate = Type.Object(
  {
    domainName,
    subjectAlternativeNames: Type.Optional(Type.Array(domainName, { minItems: 1, maxItems: 100 })),
    validationMethod: Type.Optional(StringEnum(["DNS", "EMAIL", "HTTP"])),
    idempotencyToken: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: "^\\w+$" })),
    keyAlgorithm: Type.Optional(StringEnum(["RSA_2048", "EC_prime256v1", "EC_secp384r1"])),
    domainValidationOptions: Type.Optional(
      Type.Array(Type.Object({ domainName, validationDomain: domainName }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 100,
      }),
    ),
    options: Type.Optional(Options),
    tags: Tags,
  },
  { additionalProperties: false },
);

export const CertificateArn = Type.Object({ certificateArn: Type.String() });

export const CertificateDetail = Type.Object({
  certificateArn: Type.String(),
  domainName: Type.String(),
  subjectAlternativeNames: Type.Array(Type.String()),
  domainValidationOptions: Type.Optional(
    Type.Array(
      Type.Object({
        domainName: Type.String(),
        validationDomain: Type.String(),
        validationStatus: Type.String(),
        validationMethod: Type.String(),
        validationEmails: Type.Optional(Type.Array(Type.String())),
        resourceRecord: Type.Optional(
          Type.Object({ name: Type.String(), type: Type.String(), value: Type.String() }),
        ),
      }),
    ),
  ),
  serial: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  createdAt: timestamp,
  issuedAt: Type.Optional(timestamp),
  importedAt: Type.Optional(timestamp),
  status: Type.String(),
  notBefore: timestamp,
  notAfter: timestamp,
  keyAlgorithm: Type.String(),
  signatureAlgorithm: Type.Optional(Type.String()),
  inUseBy: Type.Array(Type.String(), { description: "Load balancers whose listeners use the certificate" }),
  type: Type.String({ description: "IMPORTED, or AMAZON_ISSUED (by the local CA)" }),
  renewalEligibility: Type.String(),
  keyUsages: Type.Array(Type.Object({ name: Type.String() })),
  extendedKeyUsages: Type.Array(Type.Object({ name: Type.String(), oid: Type.String() })),
  options: Type.Object({
    certificateTransparencyLoggingPreference: Type.Optional(Type.String()),
    export: Type.Optional(Type.String()),
  }),
});

export const CertificateSummary = Type.Object({
  certificateArn: Type.String(),
  domainName: Type.String(),
  subjectAlternativeNameSummaries: Type.Array(Type.String()),
  hasAdditionalSubjectAlternativeNames: Type.Boolean(),
  status: Type.String(),
  type: Type.String(),
  keyAlgorithm: Type.String(),
  keyUsages: Type.Array(Type.String()),
  extendedKeyUsages: Type.Array(Type.String()),
  inUse: Type.Boolean(),
  renewalEligibility: Type.String(),
  notBefore: timestamp,
  notAfter: timestamp,
  createdAt: timestamp,
  issuedAt: Type.Optional(timestamp),
  importedAt: Type.Optional(timestamp),
});

export const ListCertificatesQuery = Type.Object(
  {
    pageSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: "Items per page (default 1000)" }),
    ),
    nextToken: Type.Optional(Type.String({ maxLength: 10_000 })),
    status: Type.Optional(Type.Array(status, { maxItems: 7, description: "CertificateStatuses" })),
    keyType: Type.Optional(
      Type.Array(keyAlgorithm, { maxItems: 7, description: "Includes.keyTypes (default: all)" }),
    ),
    sortOrder: Type.Optional(StringEnum(["ASCENDING", "DESCENDING"])),
  },
  { additionalProperties: false },
);

export const CertificatePem = Type.Object({
  certificate: Type.String(),
  certificateChain: Type.Optional(Type.String()),
});

export const TagsBody = Type.Object(
  { tags: Type.Array(Tag, { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);
export const TagsResponse = Type.Object({ tags: Type.Array(Tag) });
export const TagKeysQuery = Type.Object(
  { key: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);

export const CertificateIdParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: "The certificate id (the ARN's last segment) or the whole ARN, URL-encoded",
  }),
});

// The response schemas and the services' types, compared by the compiler (see the header).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const detailMatches: Same<Static<typeof CertificateDetail>, ServiceDetail> = true;
const summaryMatches: Same<Static<typeof CertificateSummary>, ServiceSummary> = true;
void detailMatches;
void summaryMatches;
