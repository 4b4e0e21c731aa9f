import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.ts";
import { bindParameters } from "./parameters.ts";
import { noResources, planStack } from "./plan.ts";
import { resourceTypeSpec } from "./resource-types.ts";
import { customResourceTypeSpec, isCustomResourceType } from "./resource-types-custom.ts";
import { checkRules } from "./rules.ts";
import {
  builtInParameterValue,
  cdkBootstrapVersion,
  isSsmParameterType,
  resolveSsmParameters,
} from "./ssm-parameters.ts";
import { readTemplate } from "./template.ts";
import { testPseudo } from "./test-stack.ts";
import type { TemplateObject, TemplateValue } from "./value.ts";

// The Parameters and Rules every `cdk synth` writes (aws-cdk-lib 2.x, DefaultStackSynthesizer), and the
// parameter MachineImage.latestAmazonLinux2023() adds.
const amiKey =
  "SsmParameterValueawsserviceamiamazonlinuxlatestal2023amikernel61x8664C96584B6F00A464EAD1953AFF4B05118Parameter";
const cdkTemplate = (extra: TemplateObject = {}) =>
  readTemplate({
    Parameters: {
      BootstrapVersion: {
        Type: "AWS::SSM::Parameter::Value<String>",
        Default: "/cdk-bootstrap/hnb659fds/version",
        Description: "Version of the CDK Bootstrap resources [cdk:skip]",
      },
      [amiKey]: {
        Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        Default: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64",
      },
      Zones: { Type: "AWS::SSM::Parameter::Value<List<String>>", Default: "/app/zones" },
    },
    Rules: {
      CheckBootstrapVersion: {
        Assertions: [
          {
            Assert: {
              "Fn::Not": [{ "Fn::Contains": [["1", "2", "3", "4", "5"], { Ref: "BootstrapVersion" }] }],
            },
            AssertDescription: "CDK bootstrap stack version 6 required.",
          },
        ],
      },
    },
    Resources: { Handle: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
    ...extra,
  });

const store = (values: Record<string, string>) => (name: string) =>
  Object.hasOwn(values, name) ? values[name] : undefined;

/** Binds, resolves through `values` and checks the rules, as CreateStack does. */
function create(template: ReturnType<typeof cdkTemplate>, values: Record<string, string>) {
  const names = bindParameters(template.parameters, []);
  const resolved = resolveSsmParameters(template.parameters, names, store(values));
  const plan = planStack(template, { parameters: [], pseudo: testPseudo, resolvedParameters: resolved });
  checkRules(template.body.Rules, template.parameters, plan.context(noResources));
  return { resolved, plan };
}

describe("SSM-typed parameters", () => {
  it("resolve through the stacks' parameters first, then the documented public values", () => {
    const { resolved, plan } = create(cdkTemplate(), { "/app/zones": "a, b" });
    expect(resolved).toEqual({ BootstrapVersion: cdkBootstrapVersion, [amiKey]: "", Zones: "a, b" });
    // Ref gives the resolved value (a list for list types); the bound name stays the parameter's value.
    expect(plan.parameters.BootstrapVersion?.value).toBe(cdkBootstrapVersion);
    expect(plan.parameters.Zones?.list).toEqual(["a", "b"]);
    const own = create(cdkTemplate(), {
      "/app/zones": "x",
      "/cdk-bootstrap/hnb659fds/version": "21",
      "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64": "scaleout/example:latest",
    });
    expect(own.resolved).toMatchObject({ BootstrapVersion: "21", [amiKey]: "scaleout/example:latest" });
  });

  it("refuse names found nowhere with CloudFormation's message, all of them at once", () => {
    expect(() => create(cdkTemplate(), {})).toThrow(
      "Unable to fetch parameters [/app/zones] from parameter store for this account.",
    );
    const template = readTemplate({
      Parameters: {
        A: { Type: "AWS::SSM::Parameter::Value<String>", Default: "/no/a" },
        B: { Type: "AWS::SSM::Parameter::Value<String>", Default: "/no/b" },
      },
      Resources: { Handle: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
    });
    expect(() =>
      resolveSsmParameters(template.parameters, bindParameters(template.parameters, []), store({})),
    ).toThrow("Unable to fetch parameters [/no/a,/no/b] from parameter store for this account.");
  });

  it("know the CDK's bootstrap version of any qualifier and AWS's AMI paths, nothing else", () => {
    expect(isSsmParameterType("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>")).toBe(true);
    expect(isSsmParameterType("AWS::SSM::Parameter::Name")).toBe(false);
    expect(builtInParameterValue("/cdk-bootstrap/custom123/version")).toBe(cdkBootstrapVersion);
    expect(
      builtInParameterValue(
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      ),
    ).toBe("");
    expect(
      builtInParameterValue("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"),
    ).toBe("");
    expect(builtInParameterValue("/aws/service/global-infrastructure/regions")).toBeUndefined();
    expect(builtInParameterValue("/cdk-bootstrap/../version")).toBeUndefined();
  });
});

describe("Rules", () => {
  it("pass the CDK's CheckBootstrapVersion with a version of 6 or more, refuse 1-5 with AssertDescription", () => {
    expect(() => create(cdkTemplate(), { "/app/zones": "a" })).not.toThrow();
    expect(() =>
      create(cdkTemplate(), { "/app/zones": "a", "/cdk-bootstrap/hnb659fds/version": "5" }),
    ).toThrow("CDK bootstrap stack version 6 required.");
  });

  const check = (rules: TemplateValue, values: Record<string, string> = {}) => {
    const template = readTemplate({
      Parameters: {
        Env: { Type: "String", Default: values.Env ?? "dev" },
        Subnets: { Type: "List<AWS::EC2::Subnet::Id>", Default: values.Subnets ?? "subnet-1,subnet-2" },
        Other: { Type: "AWS::EC2::Subnet::Id", Default: "subnet-9" },
      },
      Conditions: { IsProd: { "Fn::Equals": [{ Ref: "Env" }, "prod"] } },
      Resources: { Handle: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
    });
    const plan = planStack(template, { parameters: [], pseudo: testPseudo });
    checkRules(rules, template.parameters, plan.context(noResources));
  };

  it("apply RuleCondition, and every rule function", () => {
    const prodOnly = (assert: TemplateValue) => ({
      R: { RuleCondition: { "Fn::Equals": [{ Ref: "Env" }, "prod"] }, Assertions: [{ Assert: assert }] },
    });
    const never = { "Fn::Equals": ["a", "b"] };
    expect(() => check(prodOnly(never))).not.toThrow();
    expect(() => check(prodOnly(never), { Env: "prod" })).toThrow(
      "Template error: rule R failed its assertion",
    );
    const holds = (assert: TemplateValue) => () => check({ R: { Assertions: [{ Assert: assert }] } });
    expect(
      holds({ "Fn::EachMemberIn": [{ Ref: "Subnets" }, ["subnet-1", "subnet-2", "subnet-3"]] }),
    ).not.toThrow();
    expect(holds({ "Fn::EachMemberEquals": [{ Ref: "Subnets" }, "subnet-1"] })).toThrow();
    expect(holds({ "Fn::Contains": [{ "Fn::RefAll": "AWS::EC2::Subnet::Id" }, "subnet-9"] })).not.toThrow();
    expect(
      holds({
        "Fn::And": [
          { "Fn::Not": [never] },
          { "Fn::Or": [never, { "Fn::Equals": [{ Ref: "AWS::Region" }, "us-east-1"] }] },
        ],
      }),
    ).not.toThrow();
    expect(holds({ "Fn::If": ["IsProd", never, { "Fn::Not": [never] }] })).not.toThrow();
  });

  it("refuse what cannot be judged here with a ValidationError", () => {
    const assert = (value: TemplateValue) => () => check({ R: { Assertions: [{ Assert: value }] } });
    expect(assert({ "Fn::ValueOf": ["Subnets", "VpcId"] })).toThrow(/Fn::ValueOf .* scaleout does not have/);
    expect(assert({ "Fn::Base64": "x" })).toThrow(/unsupported function: Fn::Base64/);
    expect(() => check({ R: { Assertions: [] } })).toThrow("Rule R must contain an Assertions list");
    expect(() => check({ R: { Assertions: [{ Assert: true }], Extra: 1 } })).toThrow("Invalid rule property");
    expect(() => check("rules")).toThrow("Every Rules member must be an object");
  });

  it("answer any rules section with a pass or a ValidationError, never another error", () => {
    const leaf = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.integer(),
      fc.boolean(),
      fc.constant({ Ref: "Env" }),
      fc.constant({ Ref: "Subnets" }),
      fc.constant({ Ref: "Nope" }),
    );
    const functions = [
      "Fn::And",
      "Fn::Or",
      "Fn::Not",
      "Fn::Equals",
      "Fn::Contains",
      "Fn::EachMemberIn",
      "Fn::EachMemberEquals",
      "Fn::If",
      "Fn::RefAll",
      "Fn::ValueOf",
      "Fn::Sub",
      "Ref",
    ];
    const { expression } = fc.letrec<{ expression: TemplateValue }>((tie) => ({
      expression: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("expression"), { maxLength: 4 }),
        fc
          .record({ name: fc.constantFrom(...functions), argument: tie("expression") })
          .map(({ name, argument }) => ({ [name]: argument }) as TemplateValue),
      ),
    }));
    const rules = fc.oneof(
      expression,
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 4 }),
        fc.record(
          {
            RuleCondition: expression,
            Assertions: fc.array(
              fc.record({ Assert: expression, AssertDescription: fc.string() }, { requiredKeys: [] }),
              { maxLength: 3 },
            ),
          },
          { requiredKeys: [] },
        ),
        { maxKeys: 3 },
      ),
    );
    fc.assert(
      fc.property(rules, (value) => {
        try {
          check(value as TemplateValue);
        } catch (error) {
          expect(error).toBeInstanceOf(AwsError);
          expect((error as AwsError).code).toBe("ValidationError");
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe("custom resources and Lambda functions", () => {
  it("are known types: Custom::<name> by CloudFormation's rule, AWS::CloudFormation::CustomResource", () => {
    expect(isCustomResourceType("Custom::VpcRestrictDefaultSG")).toBe(true);
    expect(isCustomResourceType("AWS::CloudFormation::CustomResource")).toBe(true);
    expect(isCustomResourceType("Custom::")).toBe(false);
    expect(isCustomResourceType(`Custom::${"x".repeat(61)}`)).toBe(false);
    expect(isCustomResourceType("Custom::a.b")).toBe(false);
    expect(resourceTypeSpec("Custom::Anything")?.required).toEqual(["ServiceToken"]);
    expect(resourceTypeSpec("AWS::Lambda::Function")?.attributes).toContain("Arn");
    expect(customResourceTypeSpec("AWS::Lambda::Permission")).toBeUndefined();
  });
});
