import {
  checkOneOf,
  checkPageSize,
  decodeToken,
  Errors,
  findSslPolicy,
  type Page,
  pageOf,
  type SslPolicy,
  sslPolicies,
} from "@scaleout/core";

/** A security policy as DescribeSSLPolicies answers it. */
export interface SslPolicyDescription {
  name: string;
  sslProtocols: string[];
  ciphers: Array<{ name: string; priority: number }>;
  supportedLoadBalancerTypes: string[];
}

const describe = (policy: SslPolicy): SslPolicyDescription => ({
  name: policy.name,
  sslProtocols: [...policy.protocols],
  ciphers: policy.ciphers.map((name, i) => ({ name, priority: i + 1 })),
  supportedLoadBalancerTypes: [...policy.supportedLoadBalancerTypes],
});

/**
 * DescribeSSLPolicies: the named policies (SSLPolicyNotFound for a name AWS does not have), or all of
 * them, for one load balancer type when asked, in AWS's listing order.
 */
export function describeSslPolicies(
  options: { names?: string[]; loadBalancerType?: string; pageSize?: number; nextToken?: string } = {},
): Page<SslPolicyDescription> {
  const pageSize = checkPageSize(options.pageSize);
  const type = options.loadBalancerType;
  if (type !== undefined)
    checkOneOf("LoadBalancerType", type, ["application", "network", "gateway"] as const);
  let selected: readonly SslPolicy[] = sslPolicies;
  if (options.names?.length) {
    const missing = options.names.filter((n) => !findSslPolicy(n));
    if (missing.length) throw new Errors.SSLPolicyNotFound(`SSL policies '${missing.join(", ")}' not found`);
    const wanted = new Set(options.names);
    selected = sslPolicies.filter((p) => wanted.has(p.name));
  }
  if (type !== undefined)
    selected = selected.filter((p) => p.supportedLoadBalancerTypes.some((t) => t === type));
  // The token is the position in the fixed list: names do not sort in AWS's order.
  const key = (p: SslPolicy) => String(sslPolicies.indexOf(p)).padStart(4, "0");
  const after = decodeToken(options.nextToken);
  const rest = after === undefined ? selected : selected.filter((p) => key(p) > after);
  const page = pageOf([...rest.slice(0, pageSize + 1)], pageSize, key);
  return { items: page.items.map(describe), ...(page.nextToken && { nextToken: page.nextToken }) };
}
