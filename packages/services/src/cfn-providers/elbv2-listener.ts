import type { Action } from "@scaleout/core";
import type { ResourceProvider } from "./types.ts";
import { numberProp, prop, requiredString, stringProp } from "./types.ts";

/** AWS::ElasticLoadBalancingV2::Listener. Ref: the ARN. */
export const listenerProvider: ResourceProvider = {
  replaces: ["LoadBalancerArn"],
  create({ services, properties }) {
    const listener = services.listeners.create(requiredString(properties, "LoadBalancerArn"), {
      protocol: stringProp(properties, "Protocol"),
      port: numberProp(properties, "Port"),
      sslPolicy: stringProp(properties, "SslPolicy"),
      certificates: prop<Array<{ certificateArn: string }>>(properties, "Certificates"),
      defaultActions: actions(properties, "DefaultActions"),
      alpnPolicy: prop<string[]>(properties, "AlpnPolicy"),
    });
    return { physicalId: listener.listenerArn, attributes: { ListenerArn: listener.listenerArn } };
  },
  /** The listener the interrupted call made: the load balancer's on the same port. */
  adopt({ services, properties }) {
    const port = numberProp(properties, "Port");
    const listener = services.listeners
      .list({ loadBalancerName: requiredString(properties, "LoadBalancerArn"), pageSize: 100 })
      .items.find((candidate) => candidate.port === port);
    return listener === undefined
      ? undefined
      : { physicalId: listener.listenerArn, attributes: { ListenerArn: listener.listenerArn } };
  },
  update({ services, physicalId, properties }) {
    services.listeners.modify(physicalId, {
      protocol: stringProp(properties, "Protocol"),
      port: numberProp(properties, "Port"),
      sslPolicy: stringProp(properties, "SslPolicy"),
      certificates: prop<Array<{ certificateArn: string }>>(properties, "Certificates"),
      defaultActions: actions(properties, "DefaultActions"),
      alpnPolicy: prop<string[]>(properties, "AlpnPolicy"),
    });
    return { physicalId, attributes: { ListenerArn: physicalId } };
  },
  delete({ services, physicalId }) {
    services.listeners.delete(physicalId);
  },
};

/** Actions as the services take them; the services check every member (as for the doors). */
export function actions(properties: Parameters<typeof prop>[0], name: string): Action[] | undefined {
  const list = prop<Array<Record<string, unknown>>>(properties, name);
  // Order arrives as a number or a string ("1"); the services compare numbers.
  return list?.map((action) =>
    typeof action.order === "string" ? { ...action, order: Number(action.order) } : action,
  ) as Action[] | undefined;
}
