import { describe, expect, it } from "vitest";
import { parameterSummaries, resourceTypes, templateCapabilities } from "./summary.ts";
import { validateTemplateBody } from "./validate.ts";

describe("template summaries", () => {
  it("lists parameters, resource types and the IAM capabilities a template needs", () => {
    const template = validateTemplateBody(`
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod], Description: stage}
  Secret: {Type: String, NoEcho: true}
Resources:
  Role: {Type: AWS::IAM::Role}
  Profile: {Type: AWS::IAM::InstanceProfile}
  Other: {Type: AWS::IAM::Role}
`);
    expect(parameterSummaries(template)).toEqual([
      {
        key: "Env",
        type: "String",
        defaultValue: "dev",
        noEcho: false,
        description: "stage",
        allowedValues: ["dev", "prod"],
      },
      { key: "Secret", type: "String", noEcho: true },
    ]);
    expect(resourceTypes(template)).toEqual(["AWS::IAM::Role", "AWS::IAM::InstanceProfile"]);
    expect(templateCapabilities(template)).toEqual({
      capabilities: ["CAPABILITY_IAM"],
      reason: "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::InstanceProfile]",
    });
  });

  it("asks for CAPABILITY_NAMED_IAM when an IAM resource has a custom name, nothing without IAM", () => {
    const named = validateTemplateBody(`
Resources:
  Role: {Type: AWS::IAM::Role, Properties: {RoleName: web}}
`);
    expect(templateCapabilities(named).capabilities).toEqual(["CAPABILITY_NAMED_IAM"]);
    expect(
      templateCapabilities(validateTemplateBody("Resources: {A: {Type: AWS::S3::Bucket}}")).capabilities,
    ).toEqual([]);
  });
});
