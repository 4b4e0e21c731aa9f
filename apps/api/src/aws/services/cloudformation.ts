import { type AwsError, CloudFormation, Errors } from "@scaleout/core";
import { type AwsService, operation, validationErrors } from "../operation.ts";
import { bool, list, str, struct, unsupported } from "../shapes.ts";
import { changeSetOperations } from "./cloudformation-changesets.ts";
import { listingOperations } from "./cloudformation-listings.ts";
import { signalOperations } from "./cloudformation-signals.ts";
import { stackOperations } from "./cloudformation-stacks.ts";

/*
 * The CloudFormation door (botocore cloudformation 2010-05-15, query protocol). This first part serves
 * the operations that read a template without provisioning anything: ValidateTemplate and
 * GetTemplateSummary, both on the pure engine in @scaleout/core (cloudformation/). Stacks follow.
 */

const TemplateParameter = struct({ parameterKey: str, defaultValue: str, noEcho: bool, description: str });
const ParameterDeclaration = struct({
  parameterKey: str,
  defaultValue: str,
  parameterType: str,
  noEcho: bool,
  description: str,
  parameterConstraints: struct({ allowedValues: list(str) }),
});

const templateSource = { templateBody: str, templateURL: str };

/**
 * The template a request names, read and checked. A TemplateURL points into S3, which scaleout does not
 * have; the body is bounded by CloudFormation's inline limit (51,200 bytes) before it is parsed.
 */
function templateOf(input: { templateBody?: string; templateURL?: string }): CloudFormation.Template {
  if (input.templateBody !== undefined && input.templateURL !== undefined)
    throw new Errors.ValidationError("Specify exactly one of TemplateBody or TemplateUrl.");
  if (input.templateURL !== undefined)
    throw new Errors.ValidationError(
      "TemplateURL is not supported by scaleout, which has no S3: pass the template inline with TemplateBody (up to 51,200 bytes)",
    );
  if (input.templateBody === undefined)
    throw new Errors.ValidationError("Either Template URL or Template Body must be specified.");
  if (Buffer.byteLength(input.templateBody, "utf8") > CloudFormation.maxInlineTemplateBytes)
    throw new Errors.ValidationError(
      `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${CloudFormation.maxInlineTemplateBytes}`,
    );
  return CloudFormation.validateTemplateBody(input.templateBody, CloudFormation.maxInlineTemplateBytes);
}

const operations = {
  ...stackOperations,
  ...changeSetOperations,
  ...listingOperations,
  ...signalOperations,
  ValidateTemplate: operation({
    input: struct(templateSource),
    output: struct({
      parameters: list(TemplateParameter),
      description: str,
      capabilities: list(str),
      capabilitiesReason: str,
      declaredTransforms: list(str),
    }),
    support: "implemented",
    notes: "TemplateURL is refused (no S3); templates with a Transform are refused",
    run: (input) => {
      const template = templateOf(input);
      const { capabilities, reason } = CloudFormation.templateCapabilities(template);
      return {
        parameters: CloudFormation.parameterSummaries(template).map((p) => ({
          parameterKey: p.key,
          defaultValue: p.defaultValue,
          noEcho: p.noEcho,
          description: p.description,
        })),
        description: template.description,
        capabilities,
        capabilitiesReason: reason,
        declaredTransforms: [],
      };
    },
  }),
  GetTemplateSummary: operation({
    input: struct({
      ...templateSource,
      stackName: str,
      stackSetName: unsupported("StackSetName is not supported by scaleout: it has no stack sets"),
      callAs: str,
      templateSummaryConfig: struct({ treatUnrecognizedResourceTypesAsWarnings: bool }),
    }),
    output: struct({
      parameters: list(ParameterDeclaration),
      description: str,
      capabilities: list(str),
      capabilitiesReason: str,
      resourceTypes: list(str),
      version: str,
      metadata: str,
      declaredTransforms: list(str),
      warnings: struct({ unrecognizedResourceTypes: list(str) }),
    }),
    support: "partial",
    notes:
      "TemplateBody only (TemplateURL refused: no S3; StackName alone summarises the stack's template); no ResourceIdentifierSummaries; Warnings lists the types scaleout cannot deploy",
    run: (input, { services }) => {
      // StackName alone: the stack's template (`aws cloudformation deploy` asks so before an update).
      const template =
        input.stackName !== undefined && input.templateBody === undefined && input.templateURL === undefined
          ? templateOf({ templateBody: services.cfnStacks.get(input.stackName).templateBody })
          : templateOf(input);
      const { capabilities, reason } = CloudFormation.templateCapabilities(template);
      return {
        parameters: CloudFormation.parameterSummaries(template).map((p) => ({
          parameterKey: p.key,
          defaultValue: p.defaultValue,
          parameterType: p.type,
          noEcho: p.noEcho,
          description: p.description,
          parameterConstraints: { allowedValues: p.allowedValues },
        })),
        description: template.description,
        capabilities,
        capabilitiesReason: reason,
        resourceTypes: CloudFormation.resourceTypes(template),
        version: template.formatVersion ?? "2010-09-09",
        metadata: template.metadata === undefined ? undefined : JSON.stringify(template.metadata),
        declaredTransforms: [],
        // Unrecognized here means not deployable by scaleout (see docs/aws-differences.md).
        ...(input.templateSummaryConfig?.treatUnrecognizedResourceTypesAsWarnings === true && {
          warnings: { unrecognizedResourceTypes: CloudFormation.unsupportedResourceTypes(template) },
        }),
      };
    },
  }),
};

export const cloudFormation: AwsService = {
  id: "cloudformation",
  title: "CloudFormation",
  version: "2010-05-15",
  xmlns: "http://cloudformation.amazonaws.com/doc/2010-05-15/",
  signingName: "cloudformation",
  wire: "query",
  operations,
  inputErrors: validationErrors,
  // CloudFormation answers every client error as ValidationError (or its few own codes) with status 400.
  translate: (error: AwsError) => ({
    code: error.code,
    status: error.statusCode >= 500 ? error.statusCode : 400,
    message: error.message,
  }),
};
