import type { PlaceholderSpec, ResourceTypeSpec } from "./resource-type.ts";

/*
 * Resource types a real template (and the CDK's output) carries that mean nothing on one machine: the
 * network, IAM, logs, parameters. They are accepted with a generated physical id (AWS's prefix for the
 * type) and attributes made of their own properties or generated ids, so the Refs and GetAtts that
 * connect them to the acting resources resolve. Nothing is provisioned; docs/aws-differences.md lists them.
 */

/** An ARN attribute; IAM is global, its ARNs name no region. */
const arn = (service: string, resource: string) => ({
  arn: `arn:{partition}:${service}:${service === "iam" ? "" : "{region}"}:{account}:${resource}`,
});

function placeholder(
  ref: ResourceTypeSpec["ref"],
  spec: PlaceholderSpec,
  required: readonly string[] = [],
): ResourceTypeSpec {
  // A new name is a new resource (CloudFormation replaces a renamed role, log group, topic...).
  const replacing = spec.nameProperty === undefined ? [] : [spec.nameProperty];
  return { required, ref, attributes: Object.keys(spec.attributes), replacing, placeholder: spec };
}

export const placeholderResourceTypes: Readonly<Record<string, ResourceTypeSpec>> = {
  "AWS::EC2::VPC": placeholder("id", {
    idPrefix: "vpc-",
    attributes: {
      CidrBlock: { property: "CidrBlock", fallback: "10.0.0.0/16" },
      CidrBlockAssociations: { constant: [] },
      DefaultNetworkAcl: { generated: "acl-" },
      DefaultSecurityGroup: { generated: "sg-" },
      Ipv6CidrBlocks: { constant: [] },
      VpcId: { physicalId: true },
    },
  }),
  "AWS::EC2::Subnet": placeholder(
    "id",
    {
      idPrefix: "subnet-",
      attributes: {
        AvailabilityZone: { property: "AvailabilityZone", fallback: "{region}a" },
        AvailabilityZoneId: { constant: "use1-az1" },
        CidrBlock: { property: "CidrBlock", fallback: "10.0.0.0/24" },
        Ipv6CidrBlocks: { constant: [] },
        NetworkAclAssociationId: { generated: "aclassoc-" },
        OutpostArn: { constant: "" },
        SubnetId: { physicalId: true },
        VpcId: { property: "VpcId" },
      },
    },
    ["VpcId"],
  ),
  "AWS::EC2::SecurityGroup": placeholder(
    "id",
    {
      idPrefix: "sg-",
      attributes: { GroupId: { physicalId: true }, VpcId: { property: "VpcId", fallback: "vpc-local" } },
    },
    ["GroupDescription"],
  ),
  "AWS::EC2::SecurityGroupIngress": placeholder("id", {
    idPrefix: "sgr-",
    attributes: { Id: { physicalId: true } },
  }),
  "AWS::EC2::SecurityGroupEgress": placeholder("id", {
    idPrefix: "sgr-",
    attributes: { Id: { physicalId: true } },
  }),
  "AWS::EC2::InternetGateway": placeholder("id", {
    idPrefix: "igw-",
    attributes: { InternetGatewayId: { physicalId: true } },
  }),
  "AWS::EC2::VPCGatewayAttachment": placeholder("id", { idPrefix: "IGW|", attributes: {} }, ["VpcId"]),
  "AWS::EC2::RouteTable": placeholder(
    "id",
    { idPrefix: "rtb-", attributes: { RouteTableId: { physicalId: true } } },
    ["VpcId"],
  ),
  "AWS::EC2::Route": placeholder("id", { idPrefix: "rtb-", attributes: {} }, ["RouteTableId"]),
  "AWS::EC2::SubnetRouteTableAssociation": placeholder(
    "id",
    { idPrefix: "rtbassoc-", attributes: { Id: { physicalId: true } } },
    ["RouteTableId", "SubnetId"],
  ),
  "AWS::EC2::EIP": placeholder("id", {
    idPrefix: "eipalloc-",
    attributes: { AllocationId: { physicalId: true }, PublicIp: { constant: "127.0.0.1" } },
  }),
  "AWS::EC2::NatGateway": placeholder("id", {
    idPrefix: "nat-",
    attributes: { NatGatewayId: { physicalId: true } },
  }),
  "AWS::EC2::NetworkAcl": placeholder("id", { idPrefix: "acl-", attributes: { Id: { physicalId: true } } }, [
    "VpcId",
  ]),
  "AWS::EC2::VPCEndpoint": placeholder(
    "id",
    {
      idPrefix: "vpce-",
      attributes: {
        Id: { physicalId: true },
        CreationTimestamp: { constant: "1970-01-01T00:00:00Z" },
        DnsEntries: { constant: [] },
        NetworkInterfaceIds: { constant: [] },
      },
    },
    ["ServiceName", "VpcId"],
  ),
  "AWS::IAM::Role": placeholder(
    "name",
    {
      idPrefix: "name",
      nameProperty: "RoleName",
      attributes: { Arn: arn("iam", "role/{physicalId}"), RoleId: { generated: "AROA" } },
    },
    ["AssumeRolePolicyDocument"],
  ),
  "AWS::IAM::InstanceProfile": placeholder(
    "name",
    {
      idPrefix: "name",
      nameProperty: "InstanceProfileName",
      attributes: { Arn: arn("iam", "instance-profile/{physicalId}") },
    },
    ["Roles"],
  ),
  "AWS::IAM::Policy": placeholder(
    "id",
    { idPrefix: "name", nameProperty: "PolicyName", attributes: { Id: { physicalId: true } } },
    ["PolicyDocument", "PolicyName"],
  ),
  "AWS::IAM::ManagedPolicy": placeholder(
    "arn",
    {
      idPrefix: "name",
      nameProperty: "ManagedPolicyName",
      idTemplate: "arn:{partition}:iam::{account}:policy/{name}",
      attributes: { PolicyArn: { physicalId: true } },
    },
    ["PolicyDocument"],
  ),
  "AWS::Logs::LogGroup": placeholder("name", {
    idPrefix: "name",
    nameProperty: "LogGroupName",
    nameMax: 512,
    attributes: { Arn: arn("logs", "log-group:{physicalId}:*") },
  }),
  "AWS::SSM::Parameter": placeholder(
    "name",
    {
      idPrefix: "name",
      nameProperty: "Name",
      attributes: { Type: { property: "Type", fallback: "String" }, Value: { property: "Value" } },
    },
    ["Type", "Value"],
  ),
  "AWS::CDK::Metadata": placeholder("id", { idPrefix: "name", attributes: {} }),
  // Ref gives the URL a wait condition is signalled at; nothing here listens on it.
  "AWS::CloudFormation::WaitConditionHandle": placeholder("id", {
    idPrefix: "name",
    idTemplate: "https://cloudformation-waitcondition-{region}.s3.amazonaws.com/{name}",
    attributes: {},
  }),
  // Waits when it carries a CreationPolicy (signalled by SignalResource, as any resource with one);
  // the Handle form's URL is not served, so without a CreationPolicy it completes at once.
  "AWS::CloudFormation::WaitCondition": placeholder("id", {
    idPrefix: "name",
    attributes: { Data: { constant: "{}" } },
  }),
  "AWS::SNS::Topic": placeholder("arn", {
    idPrefix: "name",
    nameProperty: "TopicName",
    nameMax: 256,
    idTemplate: "arn:{partition}:sns:{region}:{account}:{name}",
    attributes: { TopicArn: { physicalId: true }, TopicName: { name: true } },
  }),
};
