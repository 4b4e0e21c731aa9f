import { type AttributeSpecs, intRange } from "./attributes.ts";
import { check, Errors } from "./errors.ts";
import type { Action } from "./types.ts";

/**
 * Which listener protocols a load balancer type takes, which target group protocols a listener forwards to,
 * and what a Network Load Balancer's listeners allow besides (ALPN policies, forward-only actions, the
 * idle timeout attribute). Pure decisions; the listener service applies them.
 */

export const applicationListenerProtocols = ["HTTP", "HTTPS"] as const;
export const networkListenerProtocols = ["TCP", "TLS", "UDP", "TCP_UDP"] as const;
export type ListenerProtocol =
  | (typeof applicationListenerProtocols)[number]
  | (typeof networkListenerProtocols)[number];

/** Protocols that terminate TLS with a certificate and a security policy. */
export const terminatesTls = (protocol: string): boolean => protocol === "HTTPS" || protocol === "TLS";

/**
 * AWS's answer to a protocol of the other type: "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'"
 * (ValidationError, as AWS answers it, in AWS's order).
 */
export function checkListenerProtocol(loadBalancerType: string, protocol: string): ListenerProtocol {
  const allowed: readonly string[] =
    loadBalancerType === "network" ? ["TLS", "TCP", "TCP_UDP", "UDP"] : ["HTTPS", "HTTP"];
  if (!allowed.includes(protocol)) {
    if (["GENEVE", "QUIC", "TCP_QUIC"].includes(protocol) && loadBalancerType === "network") {
      throw new Errors.UnsupportedProtocol(`Listener protocol '${protocol}' is not supported by scaleout`);
    }
    throw new Errors.ValidationError(
      `Listener protocol '${protocol}' must be one of '${allowed.join(", ")}'`,
    );
  }
  return protocol as ListenerProtocol;
}

/** botocore: "You can't specify the UDP or TCP_UDP protocol if dual-stack mode is enabled." */
export function checkDualStackProtocol(ipAddressType: string, protocol: string): void {
  if (ipAddressType !== "dualstack") return;
  if (protocol === "UDP" || protocol === "TCP_UDP") {
    throw new Errors.ValidationError(
      `Listener protocol '${protocol}' is not supported for load balancers with the dualstack IP address type`,
    );
  }
}

/**
 * The target group protocols a listener may forward to (NLB user guide, "Listener configuration"): a TLS
 * listener terminates and forwards plain TCP or re-encrypts to TLS; TCP_UDP needs TCP_UDP on both sides.
 */
export const targetProtocolsOf: Record<ListenerProtocol, readonly string[]> = {
  HTTP: ["HTTP", "HTTPS"],
  HTTPS: ["HTTP", "HTTPS"],
  TCP: ["TCP", "TCP_UDP"],
  TLS: ["TCP", "TLS"],
  UDP: ["UDP", "TCP_UDP"],
  TCP_UDP: ["TCP_UDP"],
};

/** IncompatibleProtocols unless every target group's protocol fits the listener's. */
export function checkTargetProtocols(
  listenerProtocol: ListenerProtocol,
  targetGroups: Array<{ arn: string; protocol: string }>,
): void {
  const allowed = targetProtocolsOf[listenerProtocol];
  for (const group of targetGroups) {
    if (!allowed.includes(group.protocol)) {
      throw new Errors.IncompatibleProtocols(
        `The listener and its associated target group '${group.arn}' have incompatible protocols: a ${listenerProtocol} listener forwards to ${allowed.join(" or ")} target groups, not ${group.protocol}`,
      );
    }
  }
}

export const alpnPolicies = ["HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None"] as const;
export type AlpnPolicy = (typeof alpnPolicies)[number];

/**
 * A TLS listener's AlpnPolicy: one name of AWS's five, or none (stored as null, shown as no policy).
 * Only TLS listeners take one; `current` is what a modified listener already has.
 */
export function checkAlpnPolicy(
  protocol: string,
  given: string[] | undefined,
  current: string | null = null,
): AlpnPolicy | null {
  if (protocol !== "TLS") {
    check(
      given === undefined || given.length === 0,
      `An ALPN policy can be specified only for TLS listeners, not ${protocol}`,
    );
    return null;
  }
  if (given === undefined || given.length === 0) return (current as AlpnPolicy | null) ?? null;
  check(given.length === 1, "Only one ALPN policy can be specified");
  const [name] = given;
  if (name === undefined || !(alpnPolicies as readonly string[]).includes(name)) {
    throw new Errors.ALPNPolicyNotFound(
      `ALPN policy '${name ?? ""}' is not supported: use one of ${alpnPolicies.join(", ")}`,
    );
  }
  return name as AlpnPolicy;
}

/**
 * A Network Load Balancer listener's default actions: one `forward` to one target group (TargetGroupArn,
 * or a ForwardConfig holding one). No redirects, fixed responses or authentication: there is no HTTP.
 */
export function checkNetworkActions(actions: Action[]): void {
  check(actions.length === 1, "A network load balancer listener must have exactly one default action");
  const [action] = actions;
  if (action === undefined) return;
  if (action.type !== "forward") {
    throw new Errors.InvalidLoadBalancerAction(
      `Action type '${action.type}' is not supported for network load balancer listeners: use forward`,
    );
  }
  const groups = action.forwardConfig?.targetGroups ?? [];
  const named = new Set([
    ...(action.targetGroupArn === undefined ? [] : [action.targetGroupArn]),
    ...groups.map((g) => g.targetGroupArn),
  ]);
  check(
    named.size === 1,
    "A forward action of a network load balancer listener takes exactly one target group",
  );
  check(
    action.forwardConfig?.targetGroupStickinessConfig?.enabled !== true,
    "Target group stickiness is not supported for network load balancer listeners",
  );
}

/** Listener attributes by protocol: NLB TCP listeners have an idle timeout, the others none here. */
export function listenerAttributeSpecs(protocol: string): AttributeSpecs {
  return protocol === "TCP" ? { "tcp.idle_timeout.seconds": { default: "350", ...intRange(60, 6000) } } : {};
}
