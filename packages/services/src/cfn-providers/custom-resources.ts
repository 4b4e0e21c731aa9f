import { AwsError, CloudFormation } from "@scaleout/core";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { generatedName, requiredString, stringProp } from "./types.ts";

/*
 * AWS::Lambda::Function and custom resources (`Custom::*`, AWS::CloudFormation::CustomResource), as the
 * CDK's apps carry them (core's resource-types-custom.ts). No function runs here: a function is recorded
 * with its ARN, and a custom resource succeeds at once, as if its handler had answered SUCCESS with no
 * Data, so the VPC's default-security-group cleanup of the CDK is a no-op, as it is on one machine.
 */

const lambdaArn = (request: ProviderRequest, name: string) => {
  const { region, accountId } = request.services.ctx.partition;
  return `arn:${CloudFormation.partitionOf(region).partition}:lambda:${region}:${accountId}:function:${name}`;
};

const lambdaAttributes = (request: ProviderRequest, name: string) => ({
  Arn: lambdaArn(request, name),
  SnapStartResponse: [],
});

export const lambdaFunctionProvider: ResourceProvider = {
  replaces: ["FunctionName"],
  namedBy: "FunctionName",
  create(request) {
    // CloudFormation's schema requires both; the function's code and role mean nothing here.
    if (!Object.hasOwn(request.properties, "Code"))
      throw new AwsError(
        "ValidationError",
        400,
        "Property validation failure: [The property Code is required]",
      );
    requiredString(request.properties, "Role");
    const name =
      stringProp(request.properties, "FunctionName") ??
      generatedName(request.stackName, request.logicalId, 64);
    return { physicalId: name, attributes: lambdaAttributes(request, name) };
  },
  update(request) {
    return { physicalId: request.physicalId, attributes: lambdaAttributes(request, request.physicalId) };
  },
  delete() {},
};

export const customResourceProvider: ResourceProvider = {
  replaces: [],
  create(request) {
    requiredString(request.properties, "ServiceToken");
    return { physicalId: generatedName(request.stackName, request.logicalId, 128), attributes: {} };
  },
  update(request) {
    return { physicalId: request.physicalId, attributes: {} };
  },
  delete() {},
};

/** The provider of a custom resource type or of AWS::Lambda::Function, or undefined. */
export function customProviderOf(type: string): ResourceProvider | undefined {
  if (type === "AWS::Lambda::Function") return lambdaFunctionProvider;
  return CloudFormation.isCustomResourceType(type) ? customResourceProvider : undefined;
}
