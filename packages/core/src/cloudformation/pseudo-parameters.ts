/** The stack's pseudo parameters: what `Ref: AWS::Region` and the rest give. */
export interface PseudoParameters {
  region: string;
  accountId: string;
  stackName: string;
  stackId: string;
  partition: string;
  urlSuffix: string;
  notificationArns: string[];
}

export const pseudoParameterNames = [
  "AWS::AccountId",
  "AWS::NotificationARNs",
  "AWS::NoValue",
  "AWS::Partition",
  "AWS::Region",
  "AWS::StackId",
  "AWS::StackName",
  "AWS::URLSuffix",
] as const;

export const isPseudoParameter = (name: string): boolean =>
  (pseudoParameterNames as readonly string[]).includes(name);

/** The partition and URL suffix of a region, as AWS names them. */
export function partitionOf(region: string): { partition: string; urlSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", urlSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", urlSuffix: "amazonaws.com" };
  return { partition: "aws", urlSuffix: "amazonaws.com" };
}

/**
 * The zones Fn::GetAZs gives for a region. scaleout places every instance and load balancer node in
 * `<region>a` (packages/services names it so), but templates routinely pick two or three zones by index
 * (`!Select [1, !GetAZs ""]`, the CDK's default VPC), so a region answers three names as AWS's regions
 * do; the extra zones are placeholders.
 */
export const availabilityZonesOf = (region: string): string[] => [`${region}a`, `${region}b`, `${region}c`];

/**
 * A stack's pseudo parameters from its region, account, name and id's UUID: the id is CloudFormation's
 * stack ARN (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`).
 */
export function stackPseudoParameters(stack: {
  region: string;
  accountId: string;
  stackName: string;
  stackUuid: string;
  notificationArns?: string[];
}): PseudoParameters {
  const { partition, urlSuffix } = partitionOf(stack.region);
  return {
    region: stack.region,
    accountId: stack.accountId,
    stackName: stack.stackName,
    stackId: `arn:${partition}:cloudformation:${stack.region}:${stack.accountId}:stack/${stack.stackName}/${stack.stackUuid}`,
    partition,
    urlSuffix,
    notificationArns: stack.notificationArns ?? [],
  };
}
