import type { AwsError } from "@scaleout/core";
import { AcmErrors } from "@scaleout/services";
import { type AwsService, operation, validationErrors } from "../operation.ts";
import { blob, bool, int, list, opt, req, str, struct, ts, unsupported } from "../shapes.ts";

// ---- Shapes (botocore acm 2015-12-08) --------------------------------------------------------------------

const Tag = struct({ key: req(str), value: str });
const Arn = struct({ certificateArn: req(str) });
const Options = struct({ certificateTransparencyLoggingPreference: str, export: str });

const DomainValidation = struct({
  domainName: req(str),
  validationEmails: list(str),
  validationDomain: str,
  validationStatus: str,
  resourceRecord: struct({ name: req(str), type: req(str), value: req(str) }),
  validationMethod: str,
});

const CertificateDetail = struct({
  certificateArn: str,
  domainName: str,
  subjectAlternativeNames: list(str),
  domainValidationOptions: list(DomainValidation),
  serial: str,
  subject: str,
  issuer: str,
  createdAt: ts,
  issuedAt: ts,
  importedAt: ts,
  status: str,
  notBefore: ts,
  notAfter: ts,
  keyAlgorithm: str,
  signatureAlgorithm: str,
  inUseBy: list(str),
  type: str,
  keyUsages: list(struct({ name: str })),
  extendedKeyUsages: list(struct({ name: str, oid: opt(str, { name: "OID" }) })),
  renewalEligibility: str,
  options: Options,
});

const CertificateSummary = struct({
  certificateArn: str,
  domainName: str,
  subjectAlternativeNameSummaries: list(str),
  hasAdditionalSubjectAlternativeNames: bool,
  status: str,
  type: str,
  keyAlgorithm: str,
  keyUsages: list(str),
  extendedKeyUsages: list(str),
  inUse: bool,
  renewalEligibility: str,
  notBefore: ts,
  notAfter: ts,
  createdAt: ts,
  issuedAt: ts,
  importedAt: ts,
});

const noPrivateCa =
  "scaleout has no private certificate authorities: RequestCertificate is issued by its local CA";

/** ListCertificates without Includes.keyTypes answers RSA_1024 and RSA_2048 certificates only, as ACM does. */
const defaultKeyTypes = ["RSA_1024", "RSA_2048"];

// ---- Operations ------------------------------------------------------------------------------------------

const operations = {
  ImportCertificate: operation({
    input: struct({
      certificateArn: str,
      certificate: req(blob),
      privateKey: req(blob),
      certificateChain: blob,
      tags: list(Tag),
    }),
    output: struct({ certificateArn: str }),
    support: "implemented",
    notes: "Re-import to CertificateArn rotates the material in place; listeners see it on new connections.",
    run: (input, { services }) => services.certificates.import(input),
  }),

  RequestCertificate: operation({
    input: struct({
      domainName: req(str),
      validationMethod: str,
      subjectAlternativeNames: list(str),
      idempotencyToken: str,
      domainValidationOptions: list(struct({ domainName: req(str), validationDomain: req(str) })),
      options: Options,
      certificateAuthorityArn: unsupported(noPrivateCa),
      tags: list(Tag),
      keyAlgorithm: str,
      managedBy: unsupported("ManagedBy is not supported by scaleout"),
    }),
    output: struct({ certificateArn: str }),
    support: "partial",
    notes:
      "Issued at once (ISSUED) by scaleout's local CA instead of a public CA after DNS or email validation; every domain validation reads SUCCESS. No private CAs (CertificateAuthorityArn).",
    run: (input, { services }) => services.certificates.request(input),
  }),

  DescribeCertificate: operation({
    input: Arn,
    output: struct({ certificate: CertificateDetail }),
    support: "implemented",
    notes:
      "InUseBy names the load balancers whose listeners use the certificate. RenewalEligibility is INELIGIBLE.",
    run: (input, { services }) => ({ certificate: services.certificates.describe(input.certificateArn) }),
  }),

  ListCertificates: operation({
    input: struct({
      certificateStatuses: list(str),
      includes: struct({
        extendedKeyUsage: opt(list(str), { name: "extendedKeyUsage" }),
        keyUsage: opt(list(str), { name: "keyUsage" }),
        keyTypes: opt(list(str), { name: "keyTypes" }),
        exportOption: opt(str, { name: "exportOption" }),
        managedBy: opt(str, { name: "managedBy" }),
      }),
      nextToken: str,
      maxItems: int,
      sortBy: str,
      sortOrder: str,
    }),
    output: struct({ nextToken: str, certificateSummaryList: list(CertificateSummary) }),
    support: "implemented",
    notes:
      "Filters by status, key type and (extended) key usage; without Includes.keyTypes only RSA_1024 and RSA_2048 certificates, as ACM.",
    run: (input, { services }) => {
      const includes = input.includes ?? {};
      const page = services.certificates.list({
        keyTypes: includes.keyTypes ?? defaultKeyTypes,
        ...(input.certificateStatuses !== undefined && { certificateStatuses: input.certificateStatuses }),
        ...(includes.extendedKeyUsage !== undefined && { extendedKeyUsage: includes.extendedKeyUsage }),
        ...(includes.keyUsage !== undefined && { keyUsage: includes.keyUsage }),
        ...(input.maxItems !== undefined && { maxItems: input.maxItems }),
        ...(input.nextToken !== undefined && { nextToken: input.nextToken }),
        ...(input.sortOrder === "DESCENDING" && { sortOrder: "DESCENDING" as const }),
      });
      return { certificateSummaryList: page.items, nextToken: page.nextToken };
    },
  }),

  GetCertificate: operation({
    input: Arn,
    output: struct({ certificate: str, certificateChain: str }),
    support: "implemented",
    notes:
      "A requested certificate's chain is the local CA's certificate. The private key is never returned.",
    run: (input, { services }) => services.certificates.get(input.certificateArn),
  }),

  DeleteCertificate: operation({
    input: Arn,
    output: undefined,
    support: "implemented",
    notes: "ResourceInUseException while a listener uses the certificate.",
    run: (input, { services }) => {
      services.certificates.delete(input.certificateArn);
      return undefined;
    },
  }),

  AddTagsToCertificate: operation({
    input: struct({ certificateArn: req(str), tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.certificates.addTags(input.certificateArn, input.tags);
      return undefined;
    },
  }),

  RemoveTagsFromCertificate: operation({
    input: struct({ certificateArn: req(str), tags: req(list(Tag)) }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.certificates.removeTags(input.certificateArn, input.tags);
      return undefined;
    },
  }),

  ListTagsForCertificate: operation({
    input: Arn,
    output: struct({ tags: list(Tag) }),
    support: "implemented",
    run: (input, { services }) => ({
      tags: services.certificates
        .listTags(input.certificateArn)
        .map((tag) => (tag.value === undefined || tag.value === "" ? { key: tag.key } : tag)),
    }),
  }),
};

/** The services' generic codes in ACM's words. */
const acmCodes: Readonly<Record<string, string>> = {
  ValidationError: "ValidationException",
  MissingParameter: "ValidationException",
  InvalidParameterValue: "InvalidParameterException",
  InvalidParameterCombination: "InvalidParameterException",
  InvalidNextToken: "InvalidArgsException",
};

export const acm: AwsService = {
  id: "acm",
  title: "AWS Certificate Manager",
  version: "2015-12-08",
  signingName: "acm",
  wire: "json",
  json: { version: "1.1", targetPrefix: "CertificateManager", queryCompatible: false },
  operations,
  inputErrors: {
    ...validationErrors,
    unsupported: (_path, message) => new AcmErrors.ValidationException(message),
  },
  // ACM answers 400 for every client error, the REST API's 404 and 409 included.
  translate: (error: AwsError) => ({
    code: acmCodes[error.code] ?? error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
  }),
};
