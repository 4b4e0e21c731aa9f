import { type AttributeSpecs, anyString, bool, defaultAttributes, intRange, oneOf } from "./attributes.ts";
import { check } from "./errors.ts";
import { checkOneOf } from "./validate.ts";

export const loadBalancerTypes = ["application", "network"] as const;
export type LoadBalancerType = (typeof loadBalancerTypes)[number];

const accessLogs: AttributeSpecs = {
  "access_logs.s3.enabled": { default: "false", ...bool },
  "access_logs.s3.bucket": { default: "", ...anyString },
  "access_logs.s3.prefix": { default: "", ...anyString },
};

export const loadBalancerAttributeSpecs: AttributeSpecs = {
  ...accessLogs,
  "client_keep_alive.seconds": { default: "3600", ...intRange(60, 604800) },
  "deletion_protection.enabled": { default: "false", ...bool },
  "idle_timeout.timeout_seconds": { default: "60", ...intRange(1, 4000) },
  "load_balancing.cross_zone.enabled": { default: "true", ...bool },
  "routing.http.desync_mitigation_mode": {
    default: "defensive",
    ...oneOf("monitor", "defensive", "strictest"),
  },
  "routing.http.drop_invalid_header_fields.enabled": { default: "false", ...bool },
  "routing.http.preserve_host_header.enabled": { default: "false", ...bool },
  "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": { default: "false", ...bool },
  "routing.http.xff_client_port.enabled": { default: "false", ...bool },
  "routing.http.xff_header_processing.mode": { default: "append", ...oneOf("append", "preserve", "remove") },
  "routing.http2.enabled": { default: "true", ...bool },
  "waf.fail_open.enabled": { default: "false", ...bool },
};

/**
 * A Network Load Balancer's attributes (NLB user guide, "Load balancer attributes"). Cross-zone load
 * balancing is off by default, unlike an ALB's; the HTTP ones are not recognized, as AWS answers them.
 */
export const networkLoadBalancerAttributeSpecs: AttributeSpecs = {
  ...accessLogs,
  "deletion_protection.enabled": { default: "false", ...bool },
  "dns_record.client_routing_policy": {
    default: "any_availability_zone",
    ...oneOf("availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"),
  },
  "load_balancing.cross_zone.enabled": { default: "false", ...bool },
};

export const attributeSpecsOfLoadBalancer = (type: string): AttributeSpecs =>
  type === "network" ? networkLoadBalancerAttributeSpecs : loadBalancerAttributeSpecs;

export const defaultLoadBalancerAttributes = (type: string = "application"): Record<string, string> =>
  defaultAttributes(attributeSpecsOfLoadBalancer(type));

export interface LoadBalancerOptions {
  scheme: "internet-facing" | "internal";
  type: LoadBalancerType;
  ipAddressType: "ipv4" | "dualstack";
}

export function normalizeLoadBalancerOptions(input: {
  scheme?: string;
  type?: string;
  ipAddressType?: string;
}): LoadBalancerOptions {
  const type = input.type ?? "application";
  check(
    type !== "gateway",
    "Load balancer type 'gateway' is not supported: scaleout emulates Application and Network Load Balancers",
  );
  return {
    scheme: checkOneOf("Scheme", input.scheme ?? "internet-facing", ["internet-facing", "internal"] as const),
    type: checkOneOf("Type", type, loadBalancerTypes),
    ipAddressType: checkOneOf("IpAddressType", input.ipAddressType ?? "ipv4", ["ipv4", "dualstack"] as const),
  };
}

/** The ARN segment of a load balancer type: `loadbalancer/app/...` or `loadbalancer/net/...`. */
export const arnKindOf = (type: LoadBalancerType): "app" | "net" => (type === "network" ? "net" : "app");

/** `{name}-{id}.elb.localhost`; internal load balancers get AWS's `internal-` prefix. */
export function dnsNameFor(name: string, numericId: string, scheme: string): string {
  return `${scheme === "internal" ? "internal-" : ""}${name}-${numericId}.elb.localhost`.toLowerCase();
}
