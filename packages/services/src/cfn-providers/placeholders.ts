import { AwsError, CloudFormation } from "@scaleout/core";
import type { ProviderRequest, ResourceProvider } from "./types.ts";

/*
 * Resource types a real template carries that mean nothing on one machine (networking, IAM, logs,
 * parameters, the CDK's metadata): one provider for all of them, interpreting the engine's declarative
 * list (core's resource-types-placeholders.ts). A placeholder is a record with a generated physical id
 * and the attributes CloudFormation documents, so Refs and GetAtts to it resolve; nothing acts.
 */

function inputOf(request: ProviderRequest): CloudFormation.PlaceholderInput {
  return {
    stackName: request.stackName,
    logicalId: request.logicalId,
    properties: request.properties,
    partition: request.services.ctx.partition,
    seed: request.token,
  };
}

/** A placeholder still needs what CloudFormation's schema requires of its type (a function's Code). */
function checkRequired(type: CloudFormation.ResourceTypeSpec, request: ProviderRequest): void {
  const missing = CloudFormation.missingProperties(type, request.properties);
  if (missing.length > 0)
    throw new AwsError(
      "ValidationError",
      400,
      `Properties validation failed for resource ${request.logicalId} with message: [${missing.map((name) => `#: required key [${name}] not found`).join(", ")}]`,
    );
}

/**
 * The provider of a placeholder type (core's list, and the custom resources and Lambda functions of
 * resource-types-custom.ts, which the CDK adds and nothing runs), or undefined for a type that is none.
 */
export function placeholderProvider(type: string): ResourceProvider | undefined {
  const typeSpec = CloudFormation.resourceTypeSpec(type);
  const spec = typeSpec?.placeholder;
  if (typeSpec === undefined || spec === undefined) return undefined;
  return {
    // A new name makes a new record (the registry says so); any other change re-reads the properties.
    replaces: spec.nameProperty === undefined ? [] : [spec.nameProperty],
    ...(spec.nameProperty !== undefined && { namedBy: spec.nameProperty }),
    create(request) {
      checkRequired(typeSpec, request);
      const input = inputOf(request);
      const physicalId = CloudFormation.placeholderPhysicalId(spec, input);
      return { physicalId, attributes: CloudFormation.placeholderAttributes(spec, physicalId, input) };
    },
    update(request) {
      checkRequired(typeSpec, request);
      return {
        physicalId: request.physicalId,
        attributes: CloudFormation.placeholderAttributes(spec, request.physicalId, inputOf(request)),
      };
    },
    delete() {},
  };
}
