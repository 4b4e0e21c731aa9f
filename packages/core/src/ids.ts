import { randomBytes, randomUUID } from "node:crypto";

/** Where resources live: the region and account that appear in every ARN. */
export interface Partition {
  region: string;
  accountId: string;
}

export const defaultPartition: Partition = { region: "us-east-1", accountId: "000000000000" };

export function hex(digits: number): string {
  return randomBytes(Math.ceil(digits / 2))
    .toString("hex")
    .slice(0, digits);
}

/** `i-` plus 17 hex digits, like an EC2 instance id. */
export const newInstanceId = (): string => `i-${hex(17)}`;
/** `lt-` plus 17 hex digits, like an EC2 launch template id. */
export const newLaunchTemplateId = (): string => `lt-${hex(17)}`;
export const newUuid = (): string => randomUUID();

const elb = (p: Partition) => `arn:aws:elasticloadbalancing:${p.region}:${p.accountId}`;

export const arns = {
  /** `app` for Application Load Balancers, `net` for Network Load Balancers, as in AWS's ARNs. */
  loadBalancer: (p: Partition, name: string, id = hex(16), kind: "app" | "net" = "app") =>
    `${elb(p)}:loadbalancer/${kind}/${name}/${id}`,
  targetGroup: (p: Partition, name: string, id = hex(16)) => `${elb(p)}:targetgroup/${name}/${id}`,
  /** Listener ARNs extend their load balancer's: `listener/app/{lb}/{lbId}/{id}`. */
  listener: (loadBalancerArn: string, id = hex(16)) =>
    `${loadBalancerArn.replace(":loadbalancer/", ":listener/")}/${id}`,
  rule: (listenerArn: string, id = hex(16)) =>
    `${listenerArn.replace(":listener/", ":listener-rule/")}/${id}`,
  autoScalingGroup: (p: Partition, name: string, id = newUuid()) =>
    `arn:aws:autoscaling:${p.region}:${p.accountId}:autoScalingGroup:${id}:autoScalingGroupName/${name}`,
  scalingPolicy: (p: Partition, group: string, policy: string, id = newUuid()) =>
    `arn:aws:autoscaling:${p.region}:${p.accountId}:scalingPolicy:${id}:autoScalingGroupName/${group}:policyName/${policy}`,
  scheduledAction: (p: Partition, group: string, action: string, id = newUuid()) =>
    `arn:aws:autoscaling:${p.region}:${p.accountId}:scheduledUpdateGroupAction:${id}:autoScalingGroupName/${group}:scheduledActionName/${action}`,
  alarm: (p: Partition, name: string) => `arn:aws:cloudwatch:${p.region}:${p.accountId}:alarm:${name}`,
};

/** The last `/` segment of an ARN: the id REST paths use for listeners and rules. */
export function arnId(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** Parses a scaling policy ARN back to its group and policy names, or undefined when it is not one. */
export function parseScalingPolicyArn(arn: string): { group: string; policy: string } | undefined {
  const match =
    /^arn:aws:autoscaling:[^:]*:[^:]*:scalingPolicy:[^:]+:autoScalingGroupName\/(.+):policyName\/(.+)$/.exec(
      arn,
    );
  return match?.[1] && match[2] ? { group: match[1], policy: match[2] } : undefined;
}
