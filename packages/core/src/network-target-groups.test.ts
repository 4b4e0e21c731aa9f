import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeAttributes } from "./attributes.ts";
import { AwsError } from "./errors.ts";
import { limitsFor } from "./limits.ts";
import {
  attributeSpecsOfLoadBalancer,
  defaultLoadBalancerAttributes,
  normalizeLoadBalancerOptions,
} from "./load-balancers.ts";
import {
  checkNetworkTargetGroupAttributes,
  defaultNetworkTargetGroupAttributes,
} from "./network-target-groups.ts";
import {
  applyHealthCheck,
  attributeSpecsOfTargetGroup,
  checkAttributesOfTargetGroup,
  normalizeTargetGroup,
} from "./target-groups.ts";

const aws = limitsFor(false);
const code = (code: string) => expect.objectContaining({ code });

describe("network load balancers", () => {
  it("accept Type network and refuse gateway", () => {
    expect(normalizeLoadBalancerOptions({ type: "network" }).type).toBe("network");
    expect(() => normalizeLoadBalancerOptions({ type: "gateway" })).toThrow(code("ValidationError"));
  });

  it("default cross-zone off and know no HTTP attributes; an ALB knows no NLB-only ones", () => {
    expect(defaultLoadBalancerAttributes("network")).toMatchObject({
      "load_balancing.cross_zone.enabled": "false",
      "dns_record.client_routing_policy": "any_availability_zone",
      "deletion_protection.enabled": "false",
    });
    expect(defaultLoadBalancerAttributes("application")["load_balancing.cross_zone.enabled"]).toBe("true");
    const change = (type: string, key: string, value: string) =>
      mergeAttributes("Load balancer", attributeSpecsOfLoadBalancer(type), {}, [{ key, value }]);
    expect(() => change("network", "routing.http2.enabled", "true")).toThrow("is not recognized");
    expect(() => change("network", "idle_timeout.timeout_seconds", "60")).toThrow("is not recognized");
    expect(() => change("application", "dns_record.client_routing_policy", "any_availability_zone")).toThrow(
      "is not recognized",
    );
    expect(
      change("network", "dns_record.client_routing_policy", "partial_availability_zone_affinity"),
    ).toEqual({
      "dns_record.client_routing_policy": "partial_availability_zone_affinity",
    });
  });
});

describe("network target groups: health checks", () => {
  it("default to a TCP check every 30 s with a 10 s timeout, thresholds 5 and 2", () => {
    const settings = normalizeTargetGroup({ protocol: "TCP", port: 80 }, aws);
    expect(settings).toMatchObject({
      protocol: "TCP",
      protocolVersion: "",
      healthCheckProtocol: "TCP",
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 10,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      matcher: { httpCode: "200-399" },
    });
  });

  it("time out HTTP checks after 6 s and HTTPS ones after 10 s by default", () => {
    expect(
      normalizeTargetGroup({ protocol: "UDP", port: 53, healthCheckProtocol: "HTTP" }, aws),
    ).toMatchObject({
      healthCheckTimeoutSeconds: 6,
    });
    expect(
      normalizeTargetGroup({ protocol: "TLS", port: 443, healthCheckProtocol: "https" }, aws),
    ).toMatchObject({
      healthCheckProtocol: "HTTPS",
      healthCheckTimeoutSeconds: 10,
    });
  });

  it("take matchers from 200 to 599 (ALB groups to 499) and refuse path and matcher on TCP checks", () => {
    const http = { protocol: "TCP", port: 80, healthCheckProtocol: "HTTP" };
    expect(normalizeTargetGroup({ ...http, matcher: { httpCode: "200-599" } }, aws).matcher.httpCode).toBe(
      "200-599",
    );
    expect(() => normalizeTargetGroup({ ...http, matcher: { httpCode: "600" } }, aws)).toThrow(
      code("ValidationError"),
    );
    expect(() =>
      normalizeTargetGroup({ protocol: "HTTP", port: 80, matcher: { httpCode: "500" } }, aws),
    ).toThrow(code("ValidationError"));
    expect(() => normalizeTargetGroup({ protocol: "TCP", port: 80, healthCheckPath: "/" }, aws)).toThrow(
      code("InvalidConfigurationRequest"),
    );
    expect(() =>
      normalizeTargetGroup({ protocol: "TCP", port: 80, matcher: { httpCode: "200" } }, aws),
    ).toThrow(code("InvalidConfigurationRequest"));
  });

  it("refuse UDP, TLS and TCP_UDP health checks, TCP checks of HTTP groups and protocol versions", () => {
    for (const healthCheckProtocol of ["UDP", "TLS", "TCP_UDP"]) {
      expect(() => normalizeTargetGroup({ protocol: "UDP", port: 53, healthCheckProtocol }, aws)).toThrow(
        code("ValidationError"),
      );
    }
    expect(() =>
      normalizeTargetGroup({ protocol: "HTTP", port: 80, healthCheckProtocol: "TCP" }, aws),
    ).toThrow(code("ValidationError"));
    expect(() => normalizeTargetGroup({ protocol: "TCP", port: 80, protocolVersion: "HTTP1" }, aws)).toThrow(
      code("ValidationError"),
    );
    expect(() => normalizeTargetGroup({ protocol: "GENEVE", port: 6081 }, aws)).toThrow(
      code("ValidationError"),
    );
  });

  it("switch from a TCP check to an HTTP one with path and matcher, and check ranges as AWS does", () => {
    const tcp = normalizeTargetGroup({ protocol: "TCP", port: 80 }, aws);
    const http = applyHealthCheck(tcp, { healthCheckProtocol: "HTTP", healthCheckPath: "/up" }, aws, "TCP");
    expect(http).toMatchObject({ healthCheckProtocol: "HTTP", healthCheckPath: "/up" });
    expect(() => applyHealthCheck(tcp, { healthCheckIntervalSeconds: 301 }, aws, "TCP")).toThrow(
      code("ValidationError"),
    );
    expect(() => applyHealthCheck(tcp, { healthCheckTimeoutSeconds: 121 }, aws, "TCP")).toThrow(
      code("ValidationError"),
    );
    expect(() => applyHealthCheck(tcp, { unhealthyThresholdCount: 1 }, aws, "TCP")).toThrow(
      code("ValidationError"),
    );
    expect(() =>
      applyHealthCheck(tcp, { healthCheckIntervalSeconds: 10, healthCheckTimeoutSeconds: 10 }, aws, "TCP"),
    ).toThrow("Health check interval must be greater than the timeout.");
  });
});

describe("network target groups: attributes", () => {
  it("default as AWS: client IP preservation off only for IP targets of TCP and TLS groups", () => {
    expect(defaultNetworkTargetGroupAttributes("TCP", "instance")["preserve_client_ip.enabled"]).toBe("true");
    expect(defaultNetworkTargetGroupAttributes("TCP", "ip")["preserve_client_ip.enabled"]).toBe("false");
    expect(defaultNetworkTargetGroupAttributes("TLS", "ip")["preserve_client_ip.enabled"]).toBe("false");
    expect(defaultNetworkTargetGroupAttributes("UDP", "ip")["preserve_client_ip.enabled"]).toBe("true");
    // Connection termination at the end of the deregistration delay: on for new UDP and TCP_UDP groups.
    for (const protocol of ["UDP", "TCP_UDP"])
      expect(
        defaultNetworkTargetGroupAttributes(protocol, "ip")[
          "deregistration_delay.connection_termination.enabled"
        ],
      ).toBe("true");
    expect(defaultNetworkTargetGroupAttributes("TCP", "instance")).toMatchObject({
      "deregistration_delay.timeout_seconds": "300",
      "deregistration_delay.connection_termination.enabled": "false",
      "proxy_protocol_v2.enabled": "false",
      "stickiness.enabled": "false",
      "stickiness.type": "source_ip",
      "target_failover.on_deregistration": "no_rebalance",
      "target_failover.on_unhealthy": "no_rebalance",
      "target_health_state.unhealthy.connection_termination.enabled": "true",
    });
  });

  it("refuse ALB-only keys on network groups and NLB-only keys on HTTP groups", () => {
    const change = (protocol: string, key: string, value: string) =>
      mergeAttributes(
        "Target group",
        attributeSpecsOfTargetGroup({ protocol, targetType: "instance" }, aws),
        {},
        [{ key, value }],
      );
    for (const [key, value] of [
      ["slow_start.duration_seconds", "30"],
      ["stickiness.lb_cookie.duration_seconds", "60"],
      ["load_balancing.algorithm.type", "round_robin"],
    ] as const) {
      expect(() => change("TCP", key, value)).toThrow("is not recognized");
    }
    expect(() => change("TCP", "stickiness.type", "lb_cookie")).toThrow(code("ValidationError"));
    expect(() => change("HTTP", "proxy_protocol_v2.enabled", "true")).toThrow("is not recognized");
    expect(() => change("HTTP", "stickiness.type", "source_ip")).toThrow(code("ValidationError"));
  });

  it("enforce the pairing rules: failover values alike, UDP keeps client IPs, draining only without termination", () => {
    const base = defaultNetworkTargetGroupAttributes("TCP", "instance");
    expect(() => checkNetworkTargetGroupAttributes("TCP", base)).not.toThrow();
    expect(() =>
      checkNetworkTargetGroupAttributes("TCP", { ...base, "target_failover.on_unhealthy": "rebalance" }),
    ).toThrow(code("ValidationError"));
    expect(() =>
      checkNetworkTargetGroupAttributes("TCP", {
        ...base,
        "target_failover.on_unhealthy": "rebalance",
        "target_failover.on_deregistration": "rebalance",
      }),
    ).not.toThrow();
    expect(() =>
      checkNetworkTargetGroupAttributes("UDP", { ...base, "preserve_client_ip.enabled": "false" }),
    ).toThrow(code("ValidationError"));
    expect(() =>
      checkNetworkTargetGroupAttributes("TCP", { ...base, "preserve_client_ip.enabled": "false" }),
    ).not.toThrow();
    expect(() =>
      checkNetworkTargetGroupAttributes("TCP", {
        ...base,
        "target_health_state.unhealthy.draining_interval_seconds": "60",
      }),
    ).toThrow(code("ValidationError"));
    expect(() =>
      checkAttributesOfTargetGroup("TCP", {
        ...base,
        "target_health_state.unhealthy.connection_termination.enabled": "false",
        "target_health_state.unhealthy.draining_interval_seconds": "60",
      }),
    ).not.toThrow();
    expect(() =>
      checkNetworkTargetGroupAttributes("TCP", {
        ...base,
        "target_group_health.dns_failover.minimum_healthy_targets.count": "off",
      }),
    ).toThrow(code("ValidationError"));
  });
});

describe("network target groups: hostile input", () => {
  const field = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom("TCP", "tcp", "TLS", "UDP", "TCP_UDP", "HTTP", "HTTPS", "GENEVE", "", "__proto__"),
    fc.string({ maxLength: 8 }),
  );
  const number = fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 700 }), fc.double());

  it("answers any create input with settings or an AWS error, never anything else", () => {
    fc.assert(
      fc.property(
        fc.record({
          protocol: field,
          healthCheckProtocol: field,
          healthCheckPath: field,
          protocolVersion: field,
          port: number,
          healthCheckIntervalSeconds: number,
          healthCheckTimeoutSeconds: number,
          healthyThresholdCount: number,
          matcher: fc.oneof(fc.constant(undefined), fc.record({ httpCode: fc.string({ maxLength: 12 }) })),
        }),
        (raw) => {
          const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
          try {
            const settings = normalizeTargetGroup(input, aws);
            expect(["HTTP", "HTTPS", "TCP"]).toContain(settings.healthCheckProtocol);
            expect(settings.healthCheckTimeoutSeconds).toBeLessThan(settings.healthCheckIntervalSeconds);
          } catch (error) {
            expect(error).toBeInstanceOf(AwsError);
            expect((error as AwsError).statusCode).toBe(400);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
