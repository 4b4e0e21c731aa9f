import { AwsError, type Tag } from "@scaleout/core";
import type { CertificateOptions } from "../certificates.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { deleting, prop, requiredString, stringProp, tagsProp } from "./types.ts";

type DomainValidationOptions = Array<{
  domainName: string;
  validationDomain?: string;
  hostedZoneId?: string;
}>;

/**
 * AWS::CertificateManager::Certificate: RequestCertificate, issued at once by scaleout's local CA (every
 * domain validated), so the stack goes on at once where AWS waits for DNS or email validation. Ref (and
 * GetAtt Id): the certificate's ARN. The request carries the create's token as its IdempotencyToken, so
 * a resumed create comes to the certificate the interrupted call issued.
 */
export const certificateProvider: ResourceProvider = {
  replaces: [
    "CertificateAuthorityArn",
    "DomainName",
    "DomainValidationOptions",
    "KeyAlgorithm",
    "SubjectAlternativeNames",
    "ValidationMethod",
  ],
  async create({ services, properties, token }) {
    if (stringProp(properties, "CertificateAuthorityArn") !== undefined)
      throw new AwsError(
        "ValidationException",
        400,
        "scaleout has no private certificate authorities (CertificateAuthorityArn): its local CA issues every certificate",
      );
    const transparency = stringProp(properties, "CertificateTransparencyLoggingPreference");
    const { certificateArn } = await services.certificates.request({
      domainName: requiredString(properties, "DomainName"),
      idempotencyToken: token,
      ...defined({
        subjectAlternativeNames: prop<string[]>(properties, "SubjectAlternativeNames"),
        validationMethod: stringProp(properties, "ValidationMethod"),
        keyAlgorithm: stringProp(properties, "KeyAlgorithm"),
        domainValidationOptions: validationOptionsOf(properties),
        options:
          transparency === undefined
            ? undefined
            : ({ certificateTransparencyLoggingPreference: transparency } satisfies CertificateOptions),
        tags: tagsOf(properties),
      }),
    });
    return { physicalId: certificateArn, attributes: { Id: certificateArn } };
  },
  /** Tags change in place; so does the transparency preference, which a local CA has no log for. */
  update({ services, physicalId, properties, previous }) {
    const after = tagsOf(properties) ?? [];
    const before = tagsOf(previous) ?? [];
    const gone = before.filter((tag) => !after.some((kept) => kept.key === tag.key));
    if (gone.length > 0) services.certificates.removeTags(physicalId, gone);
    if (after.length > 0) services.certificates.addTags(physicalId, after);
    return { physicalId, attributes: { Id: physicalId } };
  },
  delete({ services, physicalId }) {
    return deleting(() => services.certificates.delete(physicalId));
  },
};

/** ACM takes a validation domain per name; CloudFormation's HostedZoneId (Route 53) has no use here. */
function validationOptionsOf(properties: ProviderRequest["properties"]) {
  const options = prop<DomainValidationOptions>(properties, "DomainValidationOptions");
  if (options === undefined) return undefined;
  if (!Array.isArray(options) || !options.every((option) => option !== null && typeof option === "object"))
    throw new AwsError("ValidationError", 400, "Property DomainValidationOptions must be a list of objects");
  return options.map((option) => ({
    domainName: option.domainName,
    validationDomain: option.validationDomain ?? option.domainName,
  }));
}

const tagsOf = (properties: ProviderRequest["properties"]): Tag[] | undefined => tagsProp(properties);

function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
