import type { ResourceTypeSpec } from "./resource-type.ts";

/*
 * Custom resources and the Lambda functions behind them. The CDK adds one to many apps (the VPC's
 * `Custom::VpcRestrictDefaultSG`, a Lambda of the CDK's own asset bucket); nothing runs code here, so a
 * function is a placeholder with its ARN, and a custom resource succeeds at once with no data: its
 * Fn::GetAtt has nothing to read. docs/aws-differences.md says so.
 */

/** CloudFormation's rule for a custom resource type name: `Custom::` and up to 60 of [A-Za-z0-9_@-]. */
const customType = /^Custom::[A-Za-z0-9_@-]{1,60}$/;

export const isCustomResourceType = (type: string): boolean =>
  type === "AWS::CloudFormation::CustomResource" || customType.test(type);

const customResource: ResourceTypeSpec = {
  required: ["ServiceToken"],
  ref: "id",
  attributes: [],
  // A changed ServiceToken is refused by CloudFormation (it cannot move a resource between providers);
  // every other change is an update the provider is told about.
  replacing: [],
  placeholder: { idPrefix: "name", attributes: {} },
};

const lambdaFunction: ResourceTypeSpec = {
  required: ["Code", "Role"],
  ref: "name",
  attributes: ["Arn", "SnapStartResponse"],
  replacing: ["FunctionName"],
  placeholder: {
    idPrefix: "name",
    nameProperty: "FunctionName",
    attributes: {
      Arn: { arn: "arn:{partition}:lambda:{region}:{account}:function:{physicalId}" },
      SnapStartResponse: { constant: [] },
    },
  },
};

/** The spec of a custom resource type or of AWS::Lambda::Function, or undefined. */
export function customResourceTypeSpec(type: string): ResourceTypeSpec | undefined {
  if (type === "AWS::Lambda::Function") return lambdaFunction;
  return isCustomResourceType(type) ? customResource : undefined;
}
