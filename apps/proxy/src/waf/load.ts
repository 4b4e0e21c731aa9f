import { type CompiledWebAcl, compileIpSets, compileWebAcl, type RateLimiterStore } from "@scaleout/core";
import type { RegistryData } from "@scaleout/db";

/** `arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>` → `awswaf:<account>:webacl:<name>:`. */
export function labelNamespaceOf(arn: string, name: string): string {
  const account = arn.split(":")[4] ?? "";
  return `awswaf:${account}:webacl:${name}:`;
}

/**
 * The web ACLs associated with load balancers, compiled, by load balancer ARN: IP sets once, each web
 * ACL once however many load balancers it protects. Unassociated web ACLs cost nothing here.
 */
export function loadWebAcls(data: RegistryData, limiters: RateLimiterStore): Map<string, CompiledWebAcl> {
  const byLoadBalancer = new Map<string, CompiledWebAcl>();
  const associations = data.webAclAssociations;
  if (associations.length === 0) {
    limiters.sweep();
    return byLoadBalancer;
  }
  const ipSets = compileIpSets(
    data.ipSets.map((row) => ({
      Name: row.name,
      Id: row.id,
      ARN: row.arn,
      IPAddressVersion: row.ipAddressVersion === "IPV6" ? "IPV6" : "IPV4",
      Addresses: row.addresses,
    })),
  );
  const compiled = new Map<string, CompiledWebAcl>();
  for (const row of data.webAcls) {
    if (!associations.some((a) => a.webAclArn === row.arn)) continue;
    compiled.set(
      row.arn,
      compileWebAcl(
        {
          Name: row.name,
          Id: row.id,
          ARN: row.arn,
          DefaultAction: row.defaultAction,
          Rules: row.rules,
          VisibilityConfig: row.visibilityConfig,
          Capacity: row.capacity,
          LabelNamespace: labelNamespaceOf(row.arn, row.name),
          CustomResponseBodies: (row.customResponseBodies ?? undefined) as
            | Record<
                string,
                { ContentType: "TEXT_PLAIN" | "TEXT_HTML" | "APPLICATION_JSON"; Content: string }
              >
            | undefined,
        },
        ipSets,
        limiters,
      ),
    );
  }
  limiters.sweep();
  for (const association of associations) {
    const acl = compiled.get(association.webAclArn);
    if (acl) byLoadBalancer.set(association.resourceArn, acl);
  }
  return byLoadBalancer;
}
