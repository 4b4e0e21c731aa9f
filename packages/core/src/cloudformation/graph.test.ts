import { describe, expect, it } from "vitest";
import { planStack } from "./plan.ts";
import { testPseudo } from "./test-stack.ts";
import { validateTemplateBody } from "./validate.ts";

const template = validateTemplateBody(`
Parameters:
  WithAlarm: {Type: String, Default: "no"}
Conditions:
  Alarmed: !Equals [!Ref WithAlarm, "yes"]
Resources:
  LoadBalancer: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
  TargetGroup: {Type: AWS::ElasticLoadBalancingV2::TargetGroup}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancer
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref TargetGroup}]
  LaunchTemplate: {Type: AWS::EC2::LaunchTemplate}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    DependsOn: Listener
    Properties:
      LaunchTemplate: {LaunchTemplateId: !Ref LaunchTemplate, Version: !GetAtt LaunchTemplate.LatestVersionNumber}
      TargetGroupARNs: [!Ref TargetGroup]
  Policy:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties:
      AutoScalingGroupName: !Sub "\${Group}"
      Note: !If [Alarmed, !Ref Alarm, none]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Condition: Alarmed
    Properties:
      Dimensions: [{Name: LoadBalancer, Value: !GetAtt LoadBalancer.LoadBalancerFullName}]
`);

describe("the resource graph", () => {
  it("orders creation in waves, independent resources together, and deletion in reverse", () => {
    const plan = planStack(template, { parameters: [], pseudo: testPseudo });
    expect(plan.graph.creation).toEqual([
      ["LoadBalancer", "TargetGroup", "LaunchTemplate"],
      ["Listener"],
      ["Group"],
      ["Policy"],
    ]);
    expect(plan.graph.deletion).toEqual([
      ["Policy"],
      ["Group"],
      ["Listener"],
      ["LoadBalancer", "TargetGroup", "LaunchTemplate"],
    ]);
    expect(plan.graph.dependencies.Group).toEqual(["TargetGroup", "Listener", "LaunchTemplate"]);
  });

  it("drops conditioned-out resources, and a false Fn::If branch is no dependency", () => {
    const plan = planStack(template, { parameters: [], pseudo: testPseudo });
    expect(Object.keys(plan.resources)).not.toContain("Alarm");
    expect(plan.graph.dependencies.Policy).toEqual(["Group"]);
  });

  it("follows the Fn::If branch a true condition takes", () => {
    const plan = planStack(template, {
      parameters: [{ key: "WithAlarm", value: "yes" }],
      pseudo: testPseudo,
    });
    expect(plan.graph.dependencies.Policy).toEqual(["Group", "Alarm"]);
    expect(plan.graph.creation).toEqual([
      ["LoadBalancer", "TargetGroup", "LaunchTemplate"],
      ["Listener", "Alarm"],
      ["Group"],
      ["Policy"],
    ]);
  });

  it("refuses a reference to a resource whose condition is false", () => {
    const refersToDropped = validateTemplateBody(`
Conditions:
  Never: !Equals [a, b]
Resources:
  A: {Type: X, Condition: Never}
  B: {Type: X, Properties: {P: !Ref A}}
`);
    expect(() => planStack(refersToDropped, { parameters: [], pseudo: testPseudo })).toThrow(
      "Template format error: Unresolved resource dependencies [A] in the Resources block of the template",
    );
  });
});
