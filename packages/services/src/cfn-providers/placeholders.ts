import { hex } from "@scaleout/core";
import type { ProviderRequest, Provisioned, ResourceProvider } from "./types.ts";
import { generatedName, stringProp } from "./types.ts";

/*
 * Resource types a real template carries that mean nothing on one machine (networking, IAM, logs,
 * parameters, the CDK's metadata). They are accepted as records with generated physical ids and the
 * attributes CloudFormation documents for them, so Refs and GetAtts to them resolve; nothing acts.
 */

type Attributes = (id: string, request: ProviderRequest) => Provisioned["attributes"];

interface Placeholder {
  /** The physical id: a prefixed random id (vpc-0a1b...), or a generated or given name. */
  id: (request: ProviderRequest) => string;
  attributes?: Attributes;
}

const ec2Id = (prefix: string) => () => `${prefix}-${hex(17)}`;
const named =
  (property: string | undefined, max = 64) =>
  (request: ProviderRequest) =>
    (property === undefined ? undefined : stringProp(request.properties, property)) ??
    generatedName(request.stackName, request.logicalId, max);
const arn = (service: string, resource: string) => (request: ProviderRequest) => {
  const { region, accountId } = request.services.ctx.partition;
  return `arn:aws:${service}:${service === "iam" ? "" : region}:${accountId}:${resource}`;
};
const vpcOf = (request: ProviderRequest) => stringProp(request.properties, "VpcId") ?? "vpc-local";

const placeholders: Record<string, Placeholder> = {
  "AWS::CDK::Metadata": { id: () => hex(32) },
  "AWS::CloudFormation::WaitConditionHandle": {
    id: (r) => `https://cloudformation-waitcondition.local/${r.logicalId}/${hex(16)}`,
  },
  "AWS::EC2::VPC": {
    id: ec2Id("vpc"),
    attributes: (id, r) => ({
      VpcId: id,
      CidrBlock: stringProp(r.properties, "CidrBlock") ?? "10.0.0.0/16",
      CidrBlockAssociations: [`vpc-cidr-assoc-${hex(17)}`],
      DefaultNetworkAcl: `acl-${hex(17)}`,
      DefaultSecurityGroup: `sg-${hex(17)}`,
      Ipv6CidrBlocks: [],
    }),
  },
  "AWS::EC2::Subnet": {
    id: ec2Id("subnet"),
    attributes: (id, r) => ({
      SubnetId: id,
      VpcId: vpcOf(r),
      AvailabilityZone: stringProp(r.properties, "AvailabilityZone") ?? `${r.services.ctx.partition.region}a`,
      AvailabilityZoneId: "use1-az1",
      CidrBlock: stringProp(r.properties, "CidrBlock") ?? "10.0.0.0/24",
      NetworkAclAssociationId: `aclassoc-${hex(17)}`,
      Ipv6CidrBlocks: [],
      OutpostArn: "",
    }),
  },
  "AWS::EC2::SecurityGroup": {
    id: ec2Id("sg"),
    attributes: (id, r) => ({ GroupId: id, VpcId: vpcOf(r) }),
  },
  "AWS::EC2::SecurityGroupIngress": { id: ec2Id("sgr") },
  "AWS::EC2::SecurityGroupEgress": { id: ec2Id("sgr") },
  "AWS::EC2::InternetGateway": { id: ec2Id("igw"), attributes: (id) => ({ InternetGatewayId: id }) },
  "AWS::EC2::VPCGatewayAttachment": { id: (r) => `IGW|${vpcOf(r)}` },
  "AWS::EC2::RouteTable": { id: ec2Id("rtb"), attributes: (id) => ({ RouteTableId: id }) },
  "AWS::EC2::Route": { id: ec2Id("r") },
  "AWS::EC2::SubnetRouteTableAssociation": { id: ec2Id("rtbassoc"), attributes: (id) => ({ Id: id }) },
  "AWS::EC2::EIP": {
    id: () => `127.0.0.${1 + Math.floor(Math.random() * 254)}`,
    attributes: (id) => ({ AllocationId: `eipalloc-${hex(17)}`, PublicIp: id }),
  },
  "AWS::EC2::NatGateway": { id: ec2Id("nat") },
  "AWS::EC2::NetworkAcl": { id: ec2Id("acl"), attributes: (id) => ({ Id: id }) },
  "AWS::EC2::VPCEndpoint": {
    id: ec2Id("vpce"),
    attributes: (id) => ({ Id: id, DnsEntries: [], NetworkInterfaceIds: [] }),
  },
  "AWS::IAM::Role": {
    id: named("RoleName"),
    attributes: (id, r) => ({ Arn: arn("iam", `role/${id}`)(r), RoleId: `AROA${hex(17).toUpperCase()}` }),
  },
  "AWS::IAM::InstanceProfile": {
    id: named("InstanceProfileName"),
    attributes: (id, r) => ({ Arn: arn("iam", `instance-profile/${id}`)(r) }),
  },
  "AWS::IAM::Policy": { id: named("PolicyName") },
  "AWS::IAM::ManagedPolicy": {
    id: (r) => arn("iam", `policy/${named("ManagedPolicyName")(r)}`)(r),
    attributes: (id) => ({ PolicyArn: id }),
  },
  "AWS::Logs::LogGroup": {
    id: named("LogGroupName", 512),
    attributes: (id, r) => ({ Arn: arn("logs", `log-group:${id}:*`)(r) }),
  },
  "AWS::SSM::Parameter": {
    id: (r) => stringProp(r.properties, "Name") ?? `CFN-${r.logicalId}-${hex(12)}`,
    attributes: (_id, r) => ({
      Type: stringProp(r.properties, "Type") ?? "String",
      Value: stringProp(r.properties, "Value") ?? "",
    }),
  },
  "AWS::SNS::Topic": {
    id: (r) => arn("sns", named("TopicName", 256)(r))(r),
    attributes: (id) => ({ TopicArn: id, TopicName: id.slice(id.lastIndexOf(":") + 1) }),
  },
};

export const placeholderTypes = Object.keys(placeholders);

/** A provider that records the resource and answers its documented attributes. */
export function placeholderProvider(type: string): ResourceProvider | undefined {
  const placeholder = Object.hasOwn(placeholders, type) ? placeholders[type] : undefined;
  if (placeholder === undefined) return undefined;
  return {
    // Every change re-records: names given in the template are re-read.
    replaces: [],
    create(request) {
      const id = placeholder.id(request);
      return { physicalId: id, attributes: placeholder.attributes?.(id, request) ?? {} };
    },
    update(request) {
      return {
        physicalId: request.physicalId,
        attributes: placeholder.attributes?.(request.physicalId, request) ?? {},
      };
    },
    delete() {},
  };
}
