import { type Static, Type } from "@sinclair/typebox";
import { Timestamp } from "./common.ts";

/*
 * An Auto Scaling instance as EC2's DescribeInstances and DescribeInstanceStatus describe it. The
 * address is the one its driver reports (loopback, or a swarm node's); the port is in the `scaleout:port` tag (EC2 has no
 * member for it) and in the REST view's `port`.
 */

export const Ec2InstanceState = Type.Object({ code: Type.Integer(), name: Type.String() });

export const Ec2Instance = Type.Object({
  instanceId: Type.String(),
  imageId: Type.String(),
  instanceType: Type.String(),
  state: Ec2InstanceState,
  privateIpAddress: Type.String(),
  privateDnsName: Type.String(),
  port: Type.Optional(Type.Integer({ description: "scaleout: the port the instance answers on" })),
  placement: Type.Object({ availabilityZone: Type.String(), tenancy: Type.String() }),
  launchTime: Timestamp(),
  tags: Type.Array(Type.Object({ key: Type.String(), value: Type.String() })),
  autoScalingGroupName: Type.Optional(Type.String({ description: "scaleout: the group it belongs to" })),
});
export type Ec2Instance = Static<typeof Ec2Instance>;

const StatusSummary = Type.Object({
  status: Type.String(),
  details: Type.Array(Type.Object({ name: Type.String(), status: Type.String() })),
});

export const Ec2InstanceStatus = Type.Object({
  instanceId: Type.String(),
  availabilityZone: Type.String(),
  instanceState: Ec2InstanceState,
  instanceStatus: StatusSummary,
  systemStatus: StatusSummary,
});
export type Ec2InstanceStatus = Static<typeof Ec2InstanceStatus>;

export const Ec2Filter = Type.Object({
  name: Type.String({ maxLength: 255 }),
  values: Type.Array(Type.String({ maxLength: 255 })),
});
export type Ec2Filter = Static<typeof Ec2Filter>;
