import { type AttributeSpecs, bool, defaultAttributes, intRange, oneOf } from "./attributes.ts";
import { check } from "./errors.ts";

/**
 * Target groups of Network Load Balancers (protocols TCP, TLS, UDP, TCP_UDP): their attributes, with AWS's
 * defaults and ranges (NLB user guide, "Edit target group attributes"), and the rules between them.
 */

export const networkTargetProtocols = ["TCP", "TLS", "UDP", "TCP_UDP"] as const;
export type NetworkTargetProtocol = (typeof networkTargetProtocols)[number];

export const isNetworkProtocol = (protocol: string): protocol is NetworkTargetProtocol =>
  (networkTargetProtocols as readonly string[]).includes(protocol);

/** UDP cannot be health-checked, and UDP flows carry the client's address: these groups always keep it. */
const carriesUdp = (protocol: string) => protocol === "UDP" || protocol === "TCP_UDP";

const healthyTargets = (percentage: boolean) => ({
  default: percentage ? "off" : "1",
  validate: (v: string) =>
    v === "off" || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= (percentage ? 100 : 5000)),
  hint: percentage ? "off or an integer between 1 and 100" : "off or an integer between 1 and 5000",
});

export function networkTargetGroupAttributeSpecs(protocol: string, targetType: string): AttributeSpecs {
  return {
    "deregistration_delay.timeout_seconds": { default: "300", ...intRange(0, 3600) },
    // AWS: on for new UDP and TCP_UDP groups, off otherwise (the API reference's TargetGroupAttribute).
    "deregistration_delay.connection_termination.enabled": {
      default: carriesUdp(protocol) ? "true" : "false",
      ...bool,
    },
    "load_balancing.cross_zone.enabled": {
      default: "use_load_balancer_configuration",
      ...oneOf("true", "false", "use_load_balancer_configuration"),
    },
    // AWS: off for IP targets of TCP and TLS groups, on otherwise (and always on for UDP and TCP_UDP).
    "preserve_client_ip.enabled": {
      default: targetType === "ip" && !carriesUdp(protocol) ? "false" : "true",
      ...bool,
    },
    "proxy_protocol_v2.enabled": { default: "false", ...bool },
    "stickiness.enabled": { default: "false", ...bool },
    "stickiness.type": { default: "source_ip", ...oneOf("source_ip") },
    "target_failover.on_deregistration": { default: "no_rebalance", ...oneOf("no_rebalance", "rebalance") },
    "target_failover.on_unhealthy": { default: "no_rebalance", ...oneOf("no_rebalance", "rebalance") },
    "target_group_health.dns_failover.minimum_healthy_targets.count": healthyTargets(false),
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": healthyTargets(true),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": healthyTargets(false),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": healthyTargets(true),
    "target_health_state.unhealthy.connection_termination.enabled": { default: "true", ...bool },
    "target_health_state.unhealthy.draining_interval_seconds": { default: "0", ...intRange(0, 360000) },
  };
}

export const defaultNetworkTargetGroupAttributes = (
  protocol: string,
  targetType: string,
): Record<string, string> => defaultAttributes(networkTargetGroupAttributeSpecs(protocol, targetType));

/** The rules AWS enforces between a network target group's attributes after a modify. */
export function checkNetworkTargetGroupAttributes(
  protocol: string,
  attributes: Record<string, string>,
): void {
  if (carriesUdp(protocol)) {
    check(
      attributes["preserve_client_ip.enabled"] !== "false",
      `Client IP preservation cannot be disabled for target groups with the ${protocol} protocol`,
    );
  }
  check(
    attributes["target_failover.on_deregistration"] === attributes["target_failover.on_unhealthy"],
    "target_failover.on_deregistration and target_failover.on_unhealthy must have the same value",
  );
  if (attributes["target_health_state.unhealthy.connection_termination.enabled"] === "true") {
    check(
      attributes["target_health_state.unhealthy.draining_interval_seconds"] === "0",
      "target_health_state.unhealthy.draining_interval_seconds can be set only when target_health_state.unhealthy.connection_termination.enabled is false",
    );
  }
  for (const kind of ["dns_failover", "unhealthy_state_routing"]) {
    const count = attributes[`target_group_health.${kind}.minimum_healthy_targets.count`];
    const percentage = attributes[`target_group_health.${kind}.minimum_healthy_targets.percentage`];
    check(
      count !== "off" || percentage !== "off",
      `target_group_health.${kind}: the minimum healthy targets count and percentage cannot both be off`,
    );
  }
}
