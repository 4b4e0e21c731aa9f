import type { ResourceProvider } from "./types.ts";
import { generatedName, prop, stringProp, tagsProp } from "./types.ts";

/** AWS::ElasticLoadBalancingV2::LoadBalancer. Ref: the ARN. */
export const loadBalancerProvider: ResourceProvider = {
  replaces: ["Name", "Scheme", "Type"],
  namedBy: "Name",
  create({ services, stackName, logicalId, properties, token }) {
    const name = stringProp(properties, "Name") ?? generatedName(stackName, logicalId, 32, token);
    const { loadBalancer } = services.loadBalancers.create({
      name,
      scheme: stringProp(properties, "Scheme"),
      type: stringProp(properties, "Type"),
      ipAddressType: stringProp(properties, "IpAddressType"),
      tags: tagsProp(properties),
    });
    const attributes = prop<Array<{ key: string; value: string }>>(properties, "LoadBalancerAttributes");
    if (attributes !== undefined)
      services.loadBalancers.modifyAttributes(loadBalancer.loadBalancerArn, attributes);
    return {
      physicalId: loadBalancer.loadBalancerArn,
      attributes: attributesOf(services, loadBalancer.loadBalancerArn),
    };
  },
  update({ services, physicalId, properties }) {
    const attributes = prop<Array<{ key: string; value: string }>>(properties, "LoadBalancerAttributes");
    if (attributes !== undefined) services.loadBalancers.modifyAttributes(physicalId, attributes);
    return { physicalId, attributes: attributesOf(services, physicalId) };
  },
  delete({ services, physicalId }) {
    services.loadBalancers.delete(physicalId);
  },
};

function attributesOf(services: Parameters<ResourceProvider["create"]>[0]["services"], arn: string) {
  const lb = services.loadBalancers.get(arn);
  return {
    CanonicalHostedZoneID: lb.canonicalHostedZoneId,
    DNSName: lb.dnsName,
    LoadBalancerArn: lb.loadBalancerArn,
    LoadBalancerFullName: lb.loadBalancerArn.slice(lb.loadBalancerArn.indexOf(":loadbalancer/") + 14),
    LoadBalancerName: lb.loadBalancerName,
    SecurityGroups: lb.securityGroups,
  };
}
