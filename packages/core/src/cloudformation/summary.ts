import type { Template } from "./template.ts";
import { own } from "./value.ts";

/** IAM resource types that need CAPABILITY_IAM, and the property that makes each a named one. */
const iamTypes: Readonly<Record<string, string | undefined>> = {
  "AWS::IAM::AccessKey": undefined,
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::Policy": undefined,
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::UserToGroupAddition": undefined,
};

export interface TemplateCapabilities {
  capabilities: Array<"CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM">;
  reason?: string;
}

/** The capabilities a template asks for: IAM resources need CAPABILITY_IAM, custom-named ones the NAMED one. */
export function templateCapabilities(template: Template): TemplateCapabilities {
  const iam = Object.values(template.resources).filter((resource) => Object.hasOwn(iamTypes, resource.type));
  if (iam.length === 0) return { capabilities: [] };
  const named = iam.some((resource) => {
    const nameProperty = iamTypes[resource.type];
    return nameProperty !== undefined && own(resource.properties, nameProperty) !== undefined;
  });
  const types = [...new Set(iam.map((resource) => resource.type))];
  return {
    capabilities: [named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM"],
    reason: `The following resource(s) require capabilities: [${types.join(", ")}]`,
  };
}

export interface ParameterSummary {
  key: string;
  type: string;
  defaultValue?: string;
  noEcho: boolean;
  description?: string;
  allowedValues?: string[];
}

/** The Parameters part of ValidateTemplate and GetTemplateSummary, in template order. */
export function parameterSummaries(template: Template): ParameterSummary[] {
  return Object.entries(template.parameters).map(([key, declaration]) => {
    const summary: ParameterSummary = { key, type: declaration.type, noEcho: declaration.noEcho };
    if (declaration.default !== undefined) summary.defaultValue = declaration.default;
    if (declaration.description !== undefined) summary.description = declaration.description;
    if (declaration.allowedValues !== undefined) summary.allowedValues = declaration.allowedValues;
    return summary;
  });
}

/** The resource types a template declares, each once, in template order (GetTemplateSummary). */
export const resourceTypes = (template: Template): string[] => [
  ...new Set(Object.values(template.resources).map((resource) => resource.type)),
];
