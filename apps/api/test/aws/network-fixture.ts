import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  type ProtocolEnum,
} from "@aws-sdk/client-elastic-load-balancing-v2";

// Shared steps of the Network Load Balancer SDK tests: every step goes through the ELBv2 client.

export async function targetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  name: string,
  protocol: string,
  extra: Record<string, unknown> = {},
) {
  const created = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: protocol as ProtocolEnum,
      Port: 9000,
      VpcId: "vpc-1",
      ...extra,
    }),
  );
  const group = created.TargetGroups?.[0];
  if (!group?.TargetGroupArn) throw new Error("no target group");
  return group;
}

export async function networkLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  name: string,
): Promise<string> {
  const created = await elbv2.send(
    new CreateLoadBalancerCommand({ Name: name, Type: "network", Subnets: ["subnet-1"] }),
  );
  const arn = created.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!arn) throw new Error("no load balancer ARN");
  return arn;
}

export const forward = (arn: string | undefined) => [{ Type: "forward" as const, TargetGroupArn: arn ?? "" }];

/** An attribute list answer as a key-value record. */
export async function attributesOf(
  command: Promise<{ Attributes?: Array<{ Key?: string; Value?: string }> }>,
): Promise<Record<string, string | undefined>> {
  const { Attributes } = await command;
  return Object.fromEntries((Attributes ?? []).map((a) => [a.Key ?? "", a.Value]));
}
