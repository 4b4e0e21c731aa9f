import { describe, expect, it } from "vitest";
import { missingProperties, updateBehaviour } from "./resource-type.ts";
import { checkResourceTypes, resourceTypeSpec, unsupportedResourceTypes } from "./resource-types.ts";
import { validateTemplateBody } from "./validate.ts";

describe("the resource type registry", () => {
  it("says how each property of an acting type is updated", () => {
    const group = resourceTypeSpec("AWS::AutoScaling::AutoScalingGroup");
    expect(group?.ref).toBe("name");
    expect(group && updateBehaviour(group, "AutoScalingGroupName")).toBe("replacement");
    expect(group && updateBehaviour(group, "LaunchTemplate")).toBe("conditional");
    expect(group && updateBehaviour(group, "MaxSize")).toBe("in-place");
    const targetGroup = resourceTypeSpec("AWS::ElasticLoadBalancingV2::TargetGroup");
    expect(targetGroup && updateBehaviour(targetGroup, "Port")).toBe("replacement");
    expect(targetGroup && updateBehaviour(targetGroup, "HealthCheckPath")).toBe("in-place");
    expect(targetGroup?.attributes).toContain("TargetGroupFullName");
  });

  it("names the required properties a resource lacks", () => {
    const listener = resourceTypeSpec("AWS::ElasticLoadBalancingV2::Listener");
    expect(listener && missingProperties(listener, { LoadBalancerArn: "x" })).toEqual(["DefaultActions"]);
    const loadBalancer = resourceTypeSpec("AWS::ElasticLoadBalancingV2::LoadBalancer");
    expect(loadBalancer && missingProperties(loadBalancer, {})).toEqual(["Subnets | SubnetMappings"]);
  });

  it("accepts placeholders, covers the example, and refuses unknown types in CloudFormation's words", () => {
    expect(resourceTypeSpec("AWS::EC2::VPC")?.placeholder?.idPrefix).toBe("vpc-");
    expect(resourceTypeSpec("AWS::IAM::Role")?.attributes).toEqual(["Arn", "RoleId"]);
    const template = validateTemplateBody(`
Resources:
  Vpc: {Type: AWS::EC2::VPC}
  Bucket: {Type: AWS::S3::Bucket}
  Queue: {Type: AWS::SQS::Queue}
  Other: {Type: AWS::S3::Bucket}
`);
    expect(unsupportedResourceTypes(template)).toEqual(["AWS::S3::Bucket", "AWS::SQS::Queue"]);
    expect(() => checkResourceTypes(template)).toThrow(
      "Template format error: Unrecognized resource types: [AWS::S3::Bucket, AWS::SQS::Queue]",
    );
  });
});
