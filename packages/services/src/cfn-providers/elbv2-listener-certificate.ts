import { CloudFormation } from "@scaleout/core";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { deleting, prop, requiredString } from "./types.ts";

type Certificates = Array<{ certificateArn?: string }>;

/** The certificates' ARNs; what is not a list of certificates names none (create has refused it). */
function arnsOf(properties: ProviderRequest["properties"]): string[] {
  const list = prop<Certificates>(properties, "Certificates");
  if (!Array.isArray(list)) return [];
  return list.flatMap((c) =>
    c !== null && typeof c === "object" && typeof c.certificateArn === "string" ? [c.certificateArn] : [],
  );
}

/**
 * AWS::ElasticLoadBalancingV2::ListenerCertificate: certificates added to a secure listener's SNI list
 * (AddListenerCertificates). Ref: the resource's Id, which names the listener and the resource (the
 * certificates change in place, so they are not part of it). Adding a certificate the listener has is
 * a success, so a resumed create needs no adoption.
 */
export const listenerCertificateProvider: ResourceProvider = {
  replaces: ["ListenerArn"],
  create({ services, properties, token }) {
    const listenerArn = requiredString(properties, "ListenerArn");
    services.listenerCertificates.add(listenerArn, prop<Certificates>(properties, "Certificates"));
    const id = `${listenerArn}|${CloudFormation.seededHex(token, 16)}`;
    return { physicalId: id, attributes: { Id: id } };
  },
  /** Certificates change with no interruption: the new ones are added before the old ones go. */
  update({ services, physicalId, properties, previous }) {
    const listenerArn = requiredString(properties, "ListenerArn");
    services.listenerCertificates.add(listenerArn, prop<Certificates>(properties, "Certificates"));
    const kept = new Set(arnsOf(properties));
    const gone = arnsOf(previous).filter((arn) => !kept.has(arn));
    if (gone.length > 0)
      services.listenerCertificates.remove(
        listenerArn,
        gone.map((certificateArn) => ({ certificateArn })),
      );
    return { physicalId, attributes: { Id: physicalId } };
  },
  /** Removes the resource's certificates from the listener; a listener already gone took them with it. */
  delete({ services, properties }) {
    const arns = arnsOf(properties);
    if (arns.length === 0) return;
    return deleting(() =>
      services.listenerCertificates.remove(
        requiredString(properties, "ListenerArn"),
        arns.map((certificateArn) => ({ certificateArn })),
      ),
    );
  },
};
