import { describe, expect, test } from "vitest";
import { importedExportNames, stackNameList } from "./imports.ts";
import { planStack } from "./plan.ts";
import { testPseudo } from "./test-stack.ts";
import { validateTemplateBody } from "./validate.ts";

const planOf = (body: string, parameters: Array<{ key: string; value: string }> = []) =>
  planStack(validateTemplateBody(body), { parameters, pseudo: testPseudo });

describe("importedExportNames", () => {
  test("imports in properties, nested values and outputs, their names resolved from parameters", () => {
    const plan = planOf(
      `
Parameters:
  Env: { Type: String }
Conditions:
  Never: !Equals [a, b]
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Value: !ImportValue shared-vpc
      Tags: { Zone: !Select [0, [!ImportValue { "Fn::Sub": "\${Env}-subnets" }]] }
  Skipped:
    Type: AWS::SSM::Parameter
    Condition: Never
    Properties: { Value: !ImportValue never-imported }
Outputs:
  Out: { Value: !ImportValue shared-vpc }
  Other: { Value: !Join [",", [!ImportValue dns, x]] }
`,
      [{ key: "Env", value: "dev" }],
    );
    expect(importedExportNames(plan).sort()).toEqual(["dev-subnets", "dns", "shared-vpc"]);
  });

  test("a template without imports imports nothing", () => {
    expect(importedExportNames(planOf("Resources:\n  A: {Type: AWS::EC2::VPC}\n"))).toEqual([]);
  });
});

test("stack names as CloudFormation lists them", () => {
  expect(stackNameList(["a"])).toBe("a");
  expect(stackNameList(["a", "b"])).toBe("a and b");
  expect(stackNameList(["a", "b", "c"])).toBe("a, b and c");
});
