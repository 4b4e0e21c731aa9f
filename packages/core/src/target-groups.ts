import { type AttributeSpecs, anyString, bool, defaultAttributes, intRange, oneOf } from "./attributes.ts";
import { check, Errors } from "./errors.ts";
import type { Limits } from "./limits.ts";
import {
  checkNetworkTargetGroupAttributes,
  isNetworkProtocol,
  type NetworkTargetProtocol,
  networkTargetGroupAttributeSpecs,
  networkTargetProtocols,
} from "./network-target-groups.ts";
import type { HealthCheckSettings } from "./types.ts";
import { checkInt, checkLength, checkOneOf, checkPort } from "./validate.ts";

/** AWS's three algorithms plus scaleout's two extensions (see docs/aws-differences.md). */
export const algorithms = [
  "round_robin",
  "least_outstanding_requests",
  "weighted_random",
  "ip_hash",
  "least_response_time",
] as const;
export type Algorithm = (typeof algorithms)[number];

export function targetGroupAttributeSpecs(limits: Limits): AttributeSpecs {
  return {
    "deregistration_delay.timeout_seconds": { default: "300", ...intRange(0, 3600) },
    "load_balancing.algorithm.type": { default: "round_robin", ...oneOf(...algorithms) },
    "load_balancing.algorithm.anomaly_mitigation": { default: "off", ...oneOf("on", "off") },
    "load_balancing.cross_zone.enabled": {
      default: "use_load_balancer_configuration",
      ...oneOf("true", "false", "use_load_balancer_configuration"),
    },
    "slow_start.duration_seconds": { default: "0", ...intRange(limits.minSlowStartSeconds, 900, [0]) },
    "stickiness.enabled": { default: "false", ...bool },
    "stickiness.type": { default: "lb_cookie", ...oneOf("lb_cookie", "app_cookie") },
    "stickiness.lb_cookie.duration_seconds": { default: "86400", ...intRange(1, 604800) },
    "stickiness.app_cookie.cookie_name": { default: "", ...anyString },
    "stickiness.app_cookie.duration_seconds": { default: "86400", ...intRange(1, 604800) },
  };
}

export const defaultTargetGroupAttributes = (limits: Limits): Record<string, string> =>
  defaultAttributes(targetGroupAttributeSpecs(limits));

/**
 * A target group's attributes by its protocol: a network group (TCP, TLS, UDP, TCP_UDP) has NLB's, and
 * ALB-only keys (slow start, cookies, algorithms) are not recognized on it, nor NLB-only ones on an ALB's.
 */
export function attributeSpecsOfTargetGroup(
  group: { protocol: string; targetType: string },
  limits: Limits,
): AttributeSpecs {
  return isNetworkProtocol(group.protocol)
    ? networkTargetGroupAttributeSpecs(group.protocol, group.targetType)
    : targetGroupAttributeSpecs(limits);
}

export const defaultAttributesOfTargetGroup = (
  group: { protocol: string; targetType: string },
  limits: Limits,
): Record<string, string> => defaultAttributes(attributeSpecsOfTargetGroup(group, limits));

/** The cross-attribute rules of a target group's kind, after a modify. */
export function checkAttributesOfTargetGroup(protocol: string, attributes: Record<string, string>): void {
  if (isNetworkProtocol(protocol)) checkNetworkTargetGroupAttributes(protocol, attributes);
  else checkTargetGroupAttributes(attributes);
}

/** Cross-attribute rules AWS enforces after a modify. */
export function checkTargetGroupAttributes(attributes: Record<string, string>): void {
  const algorithm = attributes["load_balancing.algorithm.type"];
  if (attributes["slow_start.duration_seconds"] !== "0") {
    check(
      algorithm === "round_robin",
      "Slow start mode can only be enabled with the round_robin load balancing algorithm",
    );
  }
  if (attributes["load_balancing.algorithm.anomaly_mitigation"] === "on") {
    check(
      algorithm === "weighted_random",
      "Anomaly mitigation requires the weighted_random load balancing algorithm",
    );
  }
  if (attributes["stickiness.enabled"] === "true" && attributes["stickiness.type"] === "app_cookie") {
    const cookie = attributes["stickiness.app_cookie.cookie_name"] ?? "";
    check(
      /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/.test(cookie),
      "An app cookie name must be specified for app_cookie stickiness",
    );
    check(
      !/^(AWSALB|AWSALBAPP|AWSALBTG)/i.test(cookie),
      "App cookie names must not start with AWSALB, AWSALBAPP or AWSALBTG: they are reserved for the load balancer",
    );
  }
}

export type TargetType = "instance" | "ip";

export interface TargetGroupInput {
  protocol?: string;
  protocolVersion?: string;
  port?: number;
  targetType?: string;
  vpcId?: string;
  healthCheckEnabled?: boolean;
  healthCheckProtocol?: string;
  healthCheckPort?: string;
  healthCheckPath?: string;
  healthCheckIntervalSeconds?: number;
  healthCheckTimeoutSeconds?: number;
  healthyThresholdCount?: number;
  unhealthyThresholdCount?: number;
  matcher?: { httpCode?: string };
}

export type TargetGroupProtocol = "HTTP" | "HTTPS" | NetworkTargetProtocol;

export interface TargetGroupSettings extends HealthCheckSettings {
  protocol: TargetGroupProtocol;
  /** HTTP1, HTTP2 or GRPC for HTTP and HTTPS groups; empty for network ones (AWS shows none). */
  protocolVersion: "HTTP1" | "HTTP2" | "GRPC" | "";
  port: number;
  targetType: TargetType;
  vpcId: string;
}

const httpProtocols = ["HTTP", "HTTPS"] as const;
const targetProtocols = [...httpProtocols, ...networkTargetProtocols] as const;

/**
 * AWS's default health check timeout: 5 s for ALB target groups (scaleout's long-standing value), and for
 * NLB ones 6 s for HTTP checks and 10 s for TCP and HTTPS checks.
 */
function defaultTimeoutFor(targetProtocol: string, healthCheckProtocol: string): number {
  if (!isNetworkProtocol(targetProtocol)) return 5;
  return healthCheckProtocol === "HTTP" ? 6 : 10;
}

/** Applies AWS's defaults for a new target group and checks every range. */
export function normalizeTargetGroup(input: TargetGroupInput, limits: Limits): TargetGroupSettings {
  const targetType = input.targetType ?? "instance";
  if (targetType === "lambda" || targetType === "alb") {
    throw new Errors.ValidationError(
      `Target type '${targetType}' is not supported: scaleout routes to instances and IP addresses`,
    );
  }
  checkOneOf("TargetType", targetType, ["instance", "ip"] as const);
  check(
    input.protocol !== undefined,
    "A protocol must be specified for target groups of type instance or ip",
  );
  check(input.port !== undefined, "A port must be specified for target groups of type instance or ip");
  const protocol = input.protocol.toUpperCase();
  if (["GENEVE", "QUIC", "TCP_QUIC"].includes(protocol)) {
    throw new Errors.ValidationError(
      `Protocol '${protocol}' is not supported: scaleout emulates Application and Network Load Balancer target groups (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP)`,
    );
  }
  const checkedProtocol = checkOneOf("Protocol", protocol, targetProtocols);
  const network = isNetworkProtocol(checkedProtocol);
  if (network) {
    check(
      input.protocolVersion === undefined,
      `A protocol version can be specified only for target groups with the HTTP or HTTPS protocol, not ${protocol}`,
    );
  }
  const healthCheckProtocol = (input.healthCheckProtocol ?? (network ? "TCP" : protocol)).toUpperCase();
  // AWS refuses an interval at or below its default timeout when the timeout is left out, which would
  // refuse the issue's own example (interval 5, no timeout). A timeout left to its default shrinks to fit
  // the interval instead (docs/aws-differences.md); a timeout given explicitly is checked as AWS checks it.
  const interval = input.healthCheckIntervalSeconds;
  const standardTimeout = defaultTimeoutFor(protocol, healthCheckProtocol);
  const defaultTimeout =
    input.healthCheckTimeoutSeconds === undefined && interval !== undefined && interval <= standardTimeout
      ? Math.max(limits.minHealthCheckTimeoutSeconds, interval - 1)
      : standardTimeout;
  const settings = applyHealthCheck(
    {
      protocol: checkedProtocol,
      protocolVersion: network
        ? ("" as const)
        : checkOneOf("ProtocolVersion", input.protocolVersion ?? "HTTP1", [
            "HTTP1",
            "HTTP2",
            "GRPC",
          ] as const),
      port: input.port,
      targetType: targetType as TargetType,
      vpcId: input.vpcId ?? "vpc-local",
      healthCheckEnabled: true,
      healthCheckProtocol: network ? "TCP" : checkOneOf("Protocol", protocol, httpProtocols),
      healthCheckPort: "traffic-port",
      healthCheckPath: "/",
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: defaultTimeout,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      matcher: { httpCode: network ? "200-399" : "200" },
    },
    input,
    limits,
    protocol,
  );
  checkPort("Port", settings.port);
  return settings;
}

/**
 * ModifyTargetGroup: only the health check settings change. `targetProtocol` is the group's protocol:
 * network groups check with TCP (their default), HTTP or HTTPS, and take matchers from 200 to 599;
 * HTTP and HTTPS groups check with HTTP or HTTPS and matchers from 200 to 499.
 */
export function applyHealthCheck<T extends HealthCheckSettings>(
  current: T,
  input: TargetGroupInput,
  limits: Limits,
  targetProtocol = "HTTP",
): T {
  const network = isNetworkProtocol(targetProtocol);
  const next: T = { ...current };
  if (input.healthCheckEnabled !== undefined) next.healthCheckEnabled = input.healthCheckEnabled;
  if (input.healthCheckProtocol !== undefined) {
    const given = input.healthCheckProtocol.toUpperCase();
    if (!network && given === "TCP") {
      throw new Errors.ValidationError(
        `Health check protocol 'TCP' is not supported for target groups with the ${targetProtocol} protocol`,
      );
    }
    next.healthCheckProtocol = checkOneOf("HealthCheckProtocol", given, [
      ...httpProtocols,
      ...(network ? (["TCP"] as const) : []),
    ]);
  }
  if (input.healthCheckPort !== undefined) {
    const port = input.healthCheckPort;
    check(
      port === "traffic-port" || (/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535),
      "HealthCheckPort must be 'traffic-port' or a port between 1 and 65535",
    );
    next.healthCheckPort = port;
  }
  const tcpCheck = next.healthCheckProtocol === "TCP";
  if (input.healthCheckPath !== undefined) {
    if (tcpCheck) {
      throw new Errors.InvalidConfigurationRequest(
        "Custom health check paths are not supported for health checks with the TCP protocol",
      );
    }
    checkLength("HealthCheckPath", input.healthCheckPath, 1, 1024);
    check(input.healthCheckPath.startsWith("/"), "HealthCheckPath must begin with a '/'");
    next.healthCheckPath = input.healthCheckPath;
  }
  if (input.healthCheckIntervalSeconds !== undefined) {
    checkInt(
      "HealthCheckIntervalSeconds",
      input.healthCheckIntervalSeconds,
      limits.minHealthCheckIntervalSeconds,
      300,
    );
    next.healthCheckIntervalSeconds = input.healthCheckIntervalSeconds;
  }
  if (input.healthCheckTimeoutSeconds !== undefined) {
    checkInt(
      "HealthCheckTimeoutSeconds",
      input.healthCheckTimeoutSeconds,
      limits.minHealthCheckTimeoutSeconds,
      120,
    );
    next.healthCheckTimeoutSeconds = input.healthCheckTimeoutSeconds;
  } else if (next.healthCheckTimeoutSeconds >= next.healthCheckIntervalSeconds && limits.fast) {
    // Fast mode: a 1-2 s interval with the default 5 s timeout would be refused; shrink the default instead.
    next.healthCheckTimeoutSeconds = Math.max(1, next.healthCheckIntervalSeconds - 1);
  }
  if (input.healthyThresholdCount !== undefined) {
    checkInt("HealthyThresholdCount", input.healthyThresholdCount, 2, 10);
    next.healthyThresholdCount = input.healthyThresholdCount;
  }
  if (input.unhealthyThresholdCount !== undefined) {
    checkInt("UnhealthyThresholdCount", input.unhealthyThresholdCount, 2, 10);
    next.unhealthyThresholdCount = input.unhealthyThresholdCount;
  }
  if (input.matcher !== undefined) {
    if (tcpCheck) {
      throw new Errors.InvalidConfigurationRequest(
        "Custom health check matchers are not supported for health checks with the TCP protocol",
      );
    }
    check(input.matcher.httpCode !== undefined, "Matcher must specify HttpCode");
    parseMatcher(input.matcher.httpCode, network ? 599 : 499);
    next.matcher = { httpCode: input.matcher.httpCode };
  }
  const timeoutOk = limits.fast
    ? next.healthCheckTimeoutSeconds <= next.healthCheckIntervalSeconds
    : next.healthCheckTimeoutSeconds < next.healthCheckIntervalSeconds;
  check(timeoutOk, "Health check interval must be greater than the timeout.");
  return next;
}

/**
 * Parses a success-code matcher ("200", "200,202", "200-299") into a predicate. ALB accepts codes
 * from 200 to 499, NLB from 200 to 599 (the default here, so that the proxy reads either kind).
 */
export function parseMatcher(httpCode: string, max = 599): (status: number) => boolean {
  const ranges: Array<[number, number]> = [];
  for (const part of httpCode.split(",")) {
    const match = /^\s*(\d{3})(?:-(\d{3}))?\s*$/.exec(part);
    check(match !== null, `Matcher HttpCode '${httpCode}' must be codes like '200', '200,202' or '200-299'`);
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    check(
      low >= 200 && high <= max && low <= high,
      `Matcher HttpCode '${httpCode}' must be between 200 and ${max}`,
    );
    ranges.push([low, high]);
  }
  return (status) => ranges.some(([low, high]) => status >= low && status <= high);
}
