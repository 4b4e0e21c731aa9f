// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.ts";
import { validateTemplateBody } from "./validate.ts";

const message = (body: string) => {
  try {
    validateTemplateBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AwsError);
    return (error as AwsError).message;
  }
  throw new Error("valid");
};

const json = (template: unknown) => JSON.stringify(template);
const bucket = { Type: "AWS::S3::Bucket" };

describe("ValidateTemplate's checks", () => {
  it("accepts a template with every section", () => {
    const template = validateTemplateBody(`
AWSTemplateFormatVersion: "2010-09-09"
Description: every section
Metadata: {Note: x}
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}
Mappings:
  Sizes: {dev: {Count: 1}, prod: {Count: 3}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Condition: IsProd
    DependsOn: [Template]
    Properties:
      MaxSize: !FindInMap [Sizes, !Ref Env, Count]
  Template:
    Type: AWS::EC2::LaunchTemplate
Outputs:
  Name:
    Value: !Ref Template
    Export: {Name: !Sub "\${AWS::StackName}-template"}
`);
    expect(Object.keys(template.resources)).toEqual(["Group", "Template"]);
    expect(template.resources.Group?.dependsOn).toEqual(["Template"]);
    expect(template.parameters.Env?.allowedValues).toEqual(["dev", "prod"]);
  });

  it("refuses unknown sections, versions and empty Resources", () => {
    expect(message(json({ Resources: { A: bucket }, Foo: 1 }))).toBe(
      "Template format error: Invalid template property or properties [Foo]",
    );
    expect(message(json({ AWSTemplateFormatVersion: "2011-01-01", Resources: { A: bucket } }))).toMatch(
      /^Template format error: Unsupported template format version/,
    );
    expect(message(json({ Resources: {} }))).toBe(
      "Template format error: At least one Resources member must be defined.",
    );
    expect(message(json({ Description: "x" }))).toBe(
      "Template format error: At least one Resources member must be defined.",
    );
  });

  it("refuses a Transform with a clear message", () => {
    expect(message(json({ Transform: "AWS::Serverless-2016-10-31", Resources: { A: bucket } }))).toMatch(
      /^Template format error: Transform AWS::Serverless-2016-10-31 is not supported by scaleout/,
    );
  });

  it("requires a Type and alphanumeric logical ids", () => {
    expect(message(json({ Resources: { A: { Properties: {} } } }))).toBe(
      "Template format error: [/Resources/A] Every Resources object must contain a Type member.",
    );
    expect(message(json({ Resources: { "my-bucket": bucket } }))).toBe(
      "Template format error: Resource name my-bucket is non alphanumeric.",
    );
    expect(message(json({ Resources: { A: { ...bucket, Colour: "red" } } }))).toMatch(
      /Unrecognized resource attributes \[Colour\]/,
    );
  });

  it("checks parameter declarations", () => {
    const withParameter = (p: unknown) => json({ Parameters: { P: p }, Resources: { A: bucket } });
    expect(message(withParameter({ Default: "x" }))).toBe(
      "Template format error: Every Parameters object must contain a Type member.",
    );
    expect(message(withParameter({ Type: "Strin" }))).toBe(
      "Template format error: Unrecognized parameter type: Strin",
    );
    expect(message(withParameter({ Type: "String", Colour: 1 }))).toBe(
      "Template format error: Invalid template parameter property 'Colour'",
    );
    for (const type of [
      "Number",
      "List<Number>",
      "CommaDelimitedList",
      "AWS::EC2::VPC::Id",
      "List<AWS::EC2::Subnet::Id>",
      "AWS::SSM::Parameter::Value<String>",
      "AWS::SSM::Parameter::Value<List<AWS::EC2::Image::Id>>",
      "AWS::SSM::Parameter::Name",
    ])
      expect(() => validateTemplateBody(withParameter({ Type: type }))).not.toThrow();
  });

  it("names unresolved references, unknown attributes' resources and conditions", () => {
    expect(message(json({ Resources: { A: { ...bucket, Properties: { X: { Ref: "Nope" } } } } }))).toBe(
      "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
    );
    expect(message(json({ Resources: { A: { ...bucket, DependsOn: "Nope" } } }))).toBe(
      "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template",
    );
    expect(
      message(json({ Resources: { A: { ...bucket, Properties: { X: { "Fn::Sub": "${Nope.Arn}" } } } } })),
    ).toBe("Template error: instance of Fn::GetAtt references undefined resource Nope");
    expect(
      message(json({ Resources: { A: { ...bucket, Properties: { X: { "Fn::Sub": "${Nope}" } } } } })),
    ).toMatch(/Unresolved resource dependencies \[Nope\]/);
    // Sub's own variables and ${!Literal} are no references.
    expect(() =>
      validateTemplateBody(
        json({
          Resources: { A: { ...bucket, Properties: { X: { "Fn::Sub": ["${x}${!y}", { x: "1" }] } } } },
        }),
      ),
    ).not.toThrow();
    expect(message(json({ Resources: { A: { ...bucket, Condition: "Missing" } } }))).toMatch(
      /unresolved condition dependency Missing/,
    );
    expect(
      message(json({ Conditions: { C: { "Fn::Equals": [{ Ref: "A" }, "x"] } }, Resources: { A: bucket } })),
    ).toBe(
      "Template format error: Unresolved dependencies [A]. Cannot reference resources in the Conditions block of the template",
    );
    expect(
      message(json({ Resources: { A: { ...bucket, Properties: { X: { "Fn::Length": [1] } } } } })),
    ).toMatch(/^Template format error: Encountered unsupported function: Fn::Length/);
    expect(message(json({ Resources: { A: bucket }, Outputs: { O: { Value: { Ref: "B" } } } }))).toMatch(
      /Unresolved resource dependencies \[B\] in the Outputs block/,
    );
  });

  it("checks function arguments before anything is evaluated", () => {
    const withValue = (value: unknown) => json({ Resources: { A: { ...bucket, Properties: { X: value } } } });
    expect(message(withValue({ Ref: ["A"] }))).toBe(
      "Template error: every Ref object must have a single String value.",
    );
    expect(message(withValue({ "Fn::Join": ["-"] }))).toMatch(
      /^Template error: every Fn::Join object requires two parameters/,
    );
    expect(message(withValue({ "Fn::Select": "0" }))).toBe(
      "Template error: Fn::Select requires a list argument with two elements: an integer index and a list",
    );
    expect(message(withValue({ "Fn::GetAtt": ["A", ""] }))).toBe(
      "Template error: every Fn::GetAtt object requires two non-empty parameters.",
    );
    expect(message(withValue({ "Fn::FindInMap": ["M", "k"] }))).toMatch(/requires three parameters/);
    expect(message(withValue({ "Fn::Sub": [1] }))).toMatch(
      /Fn::Sub intrinsic functions don't specify expected arguments/,
    );
    expect(message(withValue({ "Fn::Or": [{ Condition: "C" }] }))).toMatch(
      /Fn::Or requires a list of 2 to 10 conditions/,
    );
  });

  it("finds circular dependencies through Ref, GetAtt, Sub and DependsOn", () => {
    const cycle = {
      Resources: {
        A: { ...bucket, Properties: { X: { Ref: "B" } } },
        B: { ...bucket, Properties: { X: { "Fn::GetAtt": ["C", "Arn"] } } },
        C: { ...bucket, DependsOn: "A" },
        D: bucket,
      },
    };
    expect(message(json(cycle))).toBe("Circular dependency between resources: [A, B, C]");
  });

  it("refuses duplicate export names", () => {
    const output = { Value: "x", Export: { Name: "Shared" } };
    expect(message(json({ Resources: { A: bucket }, Outputs: { O1: output, O2: output } }))).toMatch(
      /Duplicate Export names Shared/,
    );
  });

  it("throws nothing but a ValidationError for any JSON shape (fuzz)", () => {
    const names = fc.constantFrom("A", "B", "P", "C", "AWS::Region", "AWS::NoValue", "x-y", "__proto__");
    const functions = fc.constantFrom(
      "Ref",
      "Condition",
      "Fn::GetAtt",
      "Fn::Sub",
      "Fn::If",
      "Fn::Join",
      "Fn::Select",
      "Fn::Cidr",
      "Fn::Foo",
      "Fn::FindInMap",
      "Fn::Equals",
      "Fn::Not",
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        names,
        fc.integer(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(names, tie("value"), { maxKeys: 3 }),
        fc.tuple(functions, tie("value")).map(([f, v]) => ({ [f]: v })),
      ),
    }));
    const section = fc.dictionary(names, value, { maxKeys: 3 });
    const template = fc.record(
      { Parameters: section, Conditions: section, Resources: section, Outputs: section, Mappings: section },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(template, (t) => {
        try {
          validateTemplateBody(JSON.stringify(t));
        } catch (error) {
          expect(error).toBeInstanceOf(AwsError);
          expect((error as AwsError).code).toBe("ValidationError");
        }
      }),
      { numRuns: 1500 },
    );
  });
});
