// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub writes its variables as ${Name}
import { describe, expect, it } from "vitest";
import { diffResources } from "./diff.ts";
import { planStack } from "./plan.ts";
import { stackPseudoParameters } from "./pseudo-parameters.ts";
import { describedParameters, resolveOutputs, resolveResource } from "./stack-values.ts";
import { fixedResources } from "./test-stack.ts";
import { validateTemplateBody } from "./validate.ts";

const template = validateTemplateBody(`
Parameters:
  Secret: {Type: String, NoEcho: true}
  Size: {Type: Number, Default: 2}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
Resources:
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    DeletionPolicy: Retain
    Properties:
      MaxSize: !Ref Size
      MinSize: "1"
      Tags: [{Key: stack, Value: !Ref AWS::StackName, PropagateAtLaunch: true}]
      Unused: !Ref AWS::NoValue
Outputs:
  Name: {Value: !Ref Group, Export: {Name: !Sub "\${AWS::StackName}-group"}, Description: the group}
  Zones: {Value: !Ref Zones}
`);

const pseudo = stackPseudoParameters({
  region: "eu-west-1",
  accountId: "123456789012",
  stackName: "web",
  stackUuid: "6b2c9a70-0000-4000-8000-000000000001",
});
const values = fixedResources({ Group: "web-Group-ABC" });

describe("stack values", () => {
  it("builds the pseudo parameters of a stack", () => {
    expect(pseudo.stackId).toBe(
      "arn:aws:cloudformation:eu-west-1:123456789012:stack/web/6b2c9a70-0000-4000-8000-000000000001",
    );
    expect(stackPseudoParameters({ ...pseudo, stackUuid: "u", region: "cn-north-1" }).urlSuffix).toBe(
      "amazonaws.com.cn",
    );
  });

  it("masks NoEcho parameters as DescribeStacks does", () => {
    const plan = planStack(template, { parameters: [{ key: "Secret", value: "hunter2" }], pseudo });
    expect(describedParameters(plan)).toEqual([
      { key: "Secret", value: "****" },
      { key: "Size", value: "2" },
      { key: "Zones", value: "a,b" },
    ]);
  });

  it("resolves a resource's properties and attributes, and outputs with their exports", () => {
    const plan = planStack(template, { parameters: [{ key: "Secret", value: "s" }], pseudo });
    const group = resolveResource(plan, "Group", values);
    expect(group).toEqual({
      type: "AWS::AutoScaling::AutoScalingGroup",
      properties: {
        MaxSize: "2",
        MinSize: "1",
        Tags: [{ Key: "stack", Value: "web", PropagateAtLaunch: true }],
      },
      attributes: { DeletionPolicy: "Retain" },
    });
    expect(resolveOutputs(plan, values)).toEqual([
      { key: "Name", value: "web-Group-ABC", description: "the group", exportName: "web-group" },
      { key: "Zones", value: "a,b" },
    ]);
    // An update that changes a parameter changes exactly the properties that read it.
    const next = planStack(template, {
      parameters: [
        { key: "Secret", value: "s" },
        { key: "Size", value: "4" },
      ],
      pseudo,
    });
    expect(diffResources({ Group: group }, { Group: resolveResource(next, "Group", values) }).modify).toEqual(
      [{ logicalId: "Group", properties: ["MaxSize"], attributes: [], typeChanged: false }],
    );
  });
});
