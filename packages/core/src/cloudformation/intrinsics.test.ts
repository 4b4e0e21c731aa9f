// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AwsError } from "../errors.ts";
import { resolveValue } from "./intrinsics.ts";
import { planStack } from "./plan.ts";
import { fixedResources, testPseudo } from "./test-stack.ts";
import { validateTemplateBody } from "./validate.ts";
import type { TemplateValue } from "./value.ts";

const template = validateTemplateBody(`
Parameters:
  Env: {Type: String, Default: prod}
  Subnets: {Type: CommaDelimitedList, Default: "s-1,s-2"}
Mappings:
  Sizes: {prod: {Count: 3}, dev: {Count: 1}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsDev, !Equals [a, a]]]
Resources:
  LB: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
  Extra: {Type: AWS::S3::Bucket, Condition: IsDev}
`);

const plan = planStack(template, { parameters: [], pseudo: testPseudo });
const context = plan.context(
  fixedResources(
    { LB: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188" },
    { "LB.DNSName": "web-1.us-east-1.elb.localhost", "LB.SecurityGroups": ["sg-1"] },
    { SharedVpc: "vpc-123" },
  ),
);
const resolve = (value: TemplateValue) => resolveValue(context, value);

describe("intrinsic functions", () => {
  it("evaluates conditions in dependency order", () => {
    expect(plan.conditions).toEqual({ IsProd: true, IsDev: false, Both: true });
    expect(Object.keys(plan.resources)).toEqual(["LB"]);
  });

  it("gives parameters, pseudo parameters and resources to Ref", () => {
    expect(resolve({ Ref: "Env" })).toBe("prod");
    expect(resolve({ Ref: "Subnets" })).toEqual(["s-1", "s-2"]);
    expect(resolve({ Ref: "AWS::Region" })).toBe("us-east-1");
    expect(resolve({ Ref: "AWS::AccountId" })).toBe("123456789012");
    expect(resolve({ Ref: "AWS::StackName" })).toBe("web");
    expect(resolve({ Ref: "AWS::Partition" })).toBe("aws");
    expect(resolve({ Ref: "AWS::URLSuffix" })).toBe("amazonaws.com");
    expect(resolve({ Ref: "AWS::NotificationARNs" })).toEqual([]);
    expect(resolve({ Ref: "LB" })).toMatch(/^arn:aws:elasticloadbalancing:/);
  });

  it("drops properties and list members that are AWS::NoValue", () => {
    expect(
      resolve({
        A: { Ref: "AWS::NoValue" },
        B: ["x", { "Fn::If": ["IsDev", "y", { Ref: "AWS::NoValue" }] }],
      }),
    ).toEqual({
      B: ["x"],
    });
    expect(resolve({ Ref: "AWS::NoValue" })).toBeUndefined();
  });

  it("evaluates Fn::Sub with parameters, attributes, literals and its variable map", () => {
    expect(resolve({ "Fn::Sub": "${AWS::StackName}-${Env}-${LB.DNSName}-${!Literal}" })).toBe(
      "web-prod-web-1.us-east-1.elb.localhost-${Literal}",
    );
    expect(resolve({ "Fn::Sub": ["${Name}:${AWS::Region}", { Name: { Ref: "Env" } }] })).toBe(
      "prod:us-east-1",
    );
    expect(resolve({ "Fn::Sub": "${Subnets}" })).toBe("s-1,s-2");
  });

  it("evaluates GetAtt in both forms, with the attribute from a Ref", () => {
    expect(resolve({ "Fn::GetAtt": ["LB", "DNSName"] })).toBe("web-1.us-east-1.elb.localhost");
    expect(resolve({ "Fn::GetAtt": "LB.SecurityGroups" })).toEqual(["sg-1"]);
    expect(() => resolve({ "Fn::GetAtt": ["LB", "Nope"] })).toThrow(
      "Template error: resource LB does not support attribute type Nope in Fn::GetAtt",
    );
  });

  it("evaluates Join, Select, Split, If, FindInMap, Base64, GetAZs, Cidr, ImportValue", () => {
    expect(resolve({ "Fn::Join": ["-", ["a", { Ref: "Env" }, 3]] })).toBe("a-prod-3");
    expect(resolve({ "Fn::Select": ["1", { Ref: "Subnets" }] })).toBe("s-2");
    expect(() => resolve({ "Fn::Select": [5, ["a"]] })).toThrow(/nonexistent value at index 5/);
    expect(resolve({ "Fn::Split": [",", "a,b,,c"] })).toEqual(["a", "b", "", "c"]);
    expect(resolve({ "Fn::If": ["IsProd", "big", "small"] })).toBe("big");
    expect(resolve({ "Fn::FindInMap": ["Sizes", { Ref: "Env" }, "Count"] })).toBe(3);
    expect(() => resolve({ "Fn::FindInMap": ["Sizes", "test", "Count"] })).toThrow(
      /Unable to get mapping for Sizes::test::Count/,
    );
    expect(resolve({ "Fn::Base64": { "Fn::Sub": "#!/bin/sh\necho ${Env}" } })).toBe(
      Buffer.from("#!/bin/sh\necho prod").toString("base64"),
    );
    expect(resolve({ "Fn::GetAZs": "" })).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(resolve({ "Fn::Select": [0, { "Fn::GetAZs": { Ref: "AWS::Region" } }] })).toBe("us-east-1a");
    expect(resolve({ "Fn::Cidr": ["10.0.0.0/16", "2", 8] })).toEqual(["10.0.0.0/24", "10.0.1.0/24"]);
    expect(resolve({ "Fn::ImportValue": "SharedVpc" })).toBe("vpc-123");
    expect(() => resolve({ "Fn::ImportValue": "Missing" })).toThrow("No export named Missing found.");
  });

  it("refuses misused functions with ValidationErrors", () => {
    expect(() => resolve({ Ref: ["x"] })).toThrow(
      "Template error: every Ref object must have a single String value.",
    );
    expect(() => resolve({ "Fn::Join": [","] })).toThrow(
      /every Fn::Join object requires two parameters, \(1\) a string delimiter/,
    );
    expect(() => resolve({ "Fn::Join": [",", "notalist"] })).toThrow(/requires a list/);
    expect(() => resolve({ Ref: "Gone" })).toThrow(/Unresolved resource dependencies \[Gone\]/);
  });
});

describe("evaluation of hostile values (fuzz)", () => {
  it("throws nothing but a ValidationError", () => {
    const names = fc.constantFrom(
      "LB",
      "Env",
      "Subnets",
      "IsProd",
      "Sizes",
      "prod",
      "Count",
      "AWS::NoValue",
      "AWS::Region",
      "__proto__",
      "LB.DNSName",
      "${Env}",
      "${!x}",
      "${LB.SecurityGroups}",
      "10.0.0.0/16",
      "",
      ",",
      "1",
      "-1",
      "99",
    );
    const functions = fc.constantFrom(
      "Ref",
      "Condition",
      "Fn::GetAtt",
      "Fn::Sub",
      "Fn::Join",
      "Fn::Select",
      "Fn::Split",
      "Fn::If",
      "Fn::Equals",
      "Fn::And",
      "Fn::Or",
      "Fn::Not",
      "Fn::FindInMap",
      "Fn::Base64",
      "Fn::GetAZs",
      "Fn::Cidr",
      "Fn::ImportValue",
      "Fn::Nope",
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        names,
        fc.integer({ min: -2, max: 300 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(names, tie("value"), { maxKeys: 3 }),
        fc.tuple(functions, tie("value")).map(([f, v]) => ({ [f]: v })),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        try {
          resolve(v as TemplateValue);
        } catch (error) {
          expect(error).toBeInstanceOf(AwsError);
          expect((error as AwsError).code).toBe("ValidationError");
        }
      }),
      { numRuns: 3000 },
    );
  });
});
