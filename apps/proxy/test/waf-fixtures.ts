import type { DefaultAction, IpSet, WafRule, WebAcl } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";

/**
 * Web ACLs and IP sets written straight into the registry, in the stored shape (the data plane's tests
 * need no control plane; the api's own tests drive it through @aws-sdk/client-wafv2).
 */
export const account = "000000000000";
const arnOf = (kind: string, name: string, id: string) =>
  `arn:aws:wafv2:us-east-1:${account}:regional/${kind}/${name}/${id}`;

export const visibility = (metricName: string, sampled = true) => ({
  SampledRequestsEnabled: sampled,
  CloudWatchMetricsEnabled: true,
  MetricName: metricName,
});

export const b64 = (text: string) => Buffer.from(text).toString("base64");
export const none = [{ Type: "NONE" as const, Priority: 0 }];

export function insertIpSet(db: Db, name: string, addresses: string[]): IpSet {
  const id = `${name}-id`;
  const set: IpSet = {
    Name: name,
    Id: id,
    ARN: arnOf("ipset", name, id),
    IPAddressVersion: "IPV4",
    Addresses: addresses,
  };
  db.insert(schema.ipSets)
    .values({
      arn: set.ARN,
      id,
      name,
      scope: "REGIONAL",
      ipAddressVersion: "IPV4",
      addresses,
      lockToken: "t",
      createdAt: 0,
      updatedAt: 0,
    })
    .run();
  return set;
}

export function insertWebAcl(
  db: Db,
  name: string,
  rules: WafRule[],
  options: { defaultAction?: DefaultAction; bodies?: WebAcl["CustomResponseBodies"] } = {},
): string {
  const id = `${name}-id`;
  const arn = arnOf("webacl", name, id);
  db.insert(schema.webAcls)
    .values({
      arn,
      id,
      name,
      scope: "REGIONAL",
      defaultAction: options.defaultAction ?? { Allow: {} },
      rules,
      visibilityConfig: visibility(name),
      customResponseBodies: options.bodies ?? null,
      capacity: 1,
      lockToken: "t",
      createdAt: 0,
      updatedAt: 0,
    })
    .run();
  return arn;
}

export function associate(db: Db, webAclArn: string, loadBalancerArn: string): void {
  db.insert(schema.webAclAssociations)
    .values({ resourceArn: loadBalancerArn, webAclArn, createdAt: 0 })
    .run();
}
