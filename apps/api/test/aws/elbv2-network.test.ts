import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";
import { attributesOf, targetGroup as createTargetGroup } from "./network-fixture.ts";

// A Network Load Balancer, its target groups of all four protocols and their attributes, driven only through
// the AWS SDK v3 ELBv2 client, with AWS's errors (listeners: elbv2-network-listeners.test.ts).

let api: AwsTestApi;
let elbv2: ElasticLoadBalancingV2Client;
beforeAll(async () => {
  api = await startAwsApi();
  elbv2 = api.clients().elbv2;
});
afterAll(async () => {
  await api?.close();
});

const targetGroup = (name: string, protocol: string, extra: Record<string, unknown> = {}) =>
  createTargetGroup(elbv2, name, protocol, extra);

describe("Network Load Balancers through the ELBv2 SDK client", () => {
  test("CreateLoadBalancer Type=network: a net/ ARN, AWS's NLB attributes, and ALB-only ones refused", async () => {
    const created = await elbv2.send(
      new CreateLoadBalancerCommand({
        Name: "nlb-one",
        Type: "network",
        Scheme: "internal",
        IpAddressType: "dualstack",
        Subnets: ["subnet-1"],
      }),
    );
    const lb = created.LoadBalancers?.[0];
    expect(lb).toMatchObject({
      LoadBalancerArn: expect.stringMatching(/:loadbalancer\/net\/nlb-one\/[0-9a-f]{16}$/),
      Type: "network",
      Scheme: "internal",
      IpAddressType: "dualstack",
      DNSName: expect.stringMatching(/^internal-nlb-one-\d+\./),
      CanonicalHostedZoneId: "Z26RNL4JYFTOTI",
      State: { Code: "provisioning" },
    });
    const arn = lb?.LoadBalancerArn ?? "";
    const described = await elbv2.send(new DescribeLoadBalancersCommand({ Names: ["nlb-one"] }));
    expect(described.LoadBalancers?.[0]?.Type).toBe("network");

    const defaults = await attributesOf(
      elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn })),
    );
    expect(defaults).toMatchObject({
      "load_balancing.cross_zone.enabled": "false",
      "dns_record.client_routing_policy": "any_availability_zone",
      "deletion_protection.enabled": "false",
    });
    expect(defaults["routing.http2.enabled"]).toBeUndefined();

    const modified = await attributesOf(
      elbv2.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: arn,
          Attributes: [
            { Key: "load_balancing.cross_zone.enabled", Value: "true" },
            { Key: "dns_record.client_routing_policy", Value: "availability_zone_affinity" },
            { Key: "deletion_protection.enabled", Value: "true" },
          ],
        }),
      ),
    );
    expect(modified["dns_record.client_routing_policy"]).toBe("availability_zone_affinity");

    for (const key of ["routing.http2.enabled", "idle_timeout.timeout_seconds"]) {
      const error = await failure(
        elbv2.send(
          new ModifyLoadBalancerAttributesCommand({
            LoadBalancerArn: arn,
            Attributes: [{ Key: key, Value: "1" }],
          }),
        ),
      );
      expect(error.name).toBe("ValidationError");
      expect(error.message).toContain(`'${key}' is not recognized`);
    }
    const bad = await failure(
      elbv2.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: arn,
          Attributes: [{ Key: "dns_record.client_routing_policy", Value: "nearest" }],
        }),
      ),
    );
    expect(bad.name).toBe("ValidationError");

    // An ALB does not know NLB-only attributes.
    const alb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "alb-plain", Subnets: ["subnet-1"] }));
    const albError = await failure(
      elbv2.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: alb.LoadBalancers?.[0]?.LoadBalancerArn ?? "",
          Attributes: [{ Key: "dns_record.client_routing_policy", Value: "any_availability_zone" }],
        }),
      ),
    );
    expect(albError.name).toBe("ValidationError");

    // Deletion protection holds for an NLB as for an ALB.
    const protectedError = await failure(elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })));
    expect(protectedError.name).toBe("OperationNotPermittedException");

    const gateway = await failure(
      elbv2.send(new CreateLoadBalancerCommand({ Name: "gwlb", Type: "gateway", Subnets: ["subnet-1"] })),
    );
    expect(gateway.name).toBe("ValidationError");
  });

  test("target groups TCP, TLS, UDP and TCP_UDP: NLB's health check defaults, ranges and attributes", async () => {
    const tcp = await targetGroup("tg-tcp", "TCP");
    expect(tcp).toMatchObject({
      Protocol: "TCP",
      HealthCheckProtocol: "TCP",
      HealthCheckPort: "traffic-port",
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
      HealthCheckEnabled: true,
    });
    // A TCP check has no path or matcher, and a network group no protocol version.
    expect(tcp.HealthCheckPath).toBeUndefined();
    expect(tcp.Matcher).toBeUndefined();
    expect(tcp.ProtocolVersion).toBeUndefined();

    const http = await targetGroup("tg-tcp-http", "TCP", { HealthCheckProtocol: "HTTP" });
    expect(http).toMatchObject({
      HealthCheckProtocol: "HTTP",
      HealthCheckTimeoutSeconds: 6,
      HealthCheckPath: "/",
      Matcher: { HttpCode: "200-399" },
    });
    const https = await targetGroup("tg-tls-https", "TLS", {
      HealthCheckProtocol: "HTTPS",
      HealthCheckPath: "/health",
      Matcher: { HttpCode: "200-599" },
    });
    expect(https).toMatchObject({ HealthCheckTimeoutSeconds: 10, Matcher: { HttpCode: "200-599" } });
    const udp = await targetGroup("tg-udp", "UDP", { TargetType: "ip" });
    expect(udp).toMatchObject({ Protocol: "UDP", HealthCheckProtocol: "TCP" });
    const both = await targetGroup("tg-tcp-udp", "TCP_UDP");
    expect(both.Protocol).toBe("TCP_UDP");

    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ HealthCheckProtocol: "UDP" }, "ValidationError"],
      [{ HealthCheckPath: "/health" }, "InvalidConfigurationRequestException"],
      [{ Matcher: { HttpCode: "200" } }, "InvalidConfigurationRequestException"],
      [{ HealthCheckProtocol: "HTTP", Matcher: { HttpCode: "600" } }, "ValidationError"],
      [{ HealthCheckIntervalSeconds: 301 }, "ValidationError"],
      [{ HealthCheckTimeoutSeconds: 1 }, "ValidationError"],
      [{ HealthyThresholdCount: 11 }, "ValidationError"],
      [{ ProtocolVersion: "HTTP2" }, "ValidationError"],
    ];
    for (const [extra, code] of refusals) {
      const error = await failure(targetGroup("tg-bad", "TCP", extra));
      expect([JSON.stringify(extra), error.name]).toEqual([JSON.stringify(extra), code]);
    }
    const albTcpCheck = await failure(targetGroup("tg-bad", "HTTP", { HealthCheckProtocol: "TCP" }));
    expect(albTcpCheck.name).toBe("ValidationError");
    const albMatcher = await failure(targetGroup("tg-bad", "HTTP", { Matcher: { HttpCode: "500" } }));
    expect(albMatcher.name).toBe("ValidationError");
    const geneve = await failure(targetGroup("tg-bad", "GENEVE"));
    expect(geneve.name).toBe("ValidationError");

    // ModifyTargetGroup: to an HTTP check (path and matcher then allowed), and back.
    const modified = await elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: tcp.TargetGroupArn,
        HealthCheckProtocol: "HTTP",
        HealthCheckPath: "/ping",
        Matcher: { HttpCode: "200-499" },
        HealthCheckIntervalSeconds: 10,
        HealthCheckTimeoutSeconds: 5,
      }),
    );
    expect(modified.TargetGroups?.[0]).toMatchObject({
      HealthCheckProtocol: "HTTP",
      HealthCheckPath: "/ping",
      Matcher: { HttpCode: "200-499" },
    });
    const back = await elbv2.send(
      new ModifyTargetGroupCommand({ TargetGroupArn: tcp.TargetGroupArn, HealthCheckProtocol: "TCP" }),
    );
    expect(back.TargetGroups?.[0]?.HealthCheckPath).toBeUndefined();

    // Attributes: NLB's defaults (client IP preservation off for IP targets of TCP groups only).
    const tcpAttributes = await attributesOf(
      elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tcp.TargetGroupArn })),
    );
    expect(tcpAttributes).toMatchObject({
      "deregistration_delay.timeout_seconds": "300",
      "deregistration_delay.connection_termination.enabled": "false",
      "preserve_client_ip.enabled": "true",
      "proxy_protocol_v2.enabled": "false",
      "stickiness.enabled": "false",
      "stickiness.type": "source_ip",
      "target_failover.on_deregistration": "no_rebalance",
      "target_failover.on_unhealthy": "no_rebalance",
      "target_health_state.unhealthy.connection_termination.enabled": "true",
    });
    expect(tcpAttributes["slow_start.duration_seconds"]).toBeUndefined();
    const ipTcp = await targetGroup("tg-ip-tcp", "TCP", { TargetType: "ip" });
    const ipAttributes = await attributesOf(
      elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: ipTcp.TargetGroupArn })),
    );
    expect(ipAttributes["preserve_client_ip.enabled"]).toBe("false");
    const udpAttributes = await attributesOf(
      elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: udp.TargetGroupArn })),
    );
    expect(udpAttributes["preserve_client_ip.enabled"]).toBe("true");

    const modifiedAttributes = await attributesOf(
      elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: tcp.TargetGroupArn,
          Attributes: [
            { Key: "proxy_protocol_v2.enabled", Value: "true" },
            { Key: "stickiness.enabled", Value: "true" },
            { Key: "deregistration_delay.connection_termination.enabled", Value: "true" },
            { Key: "deregistration_delay.timeout_seconds", Value: "5" },
            { Key: "target_failover.on_deregistration", Value: "rebalance" },
            { Key: "target_failover.on_unhealthy", Value: "rebalance" },
          ],
        }),
      ),
    );
    expect(modifiedAttributes).toMatchObject({
      "proxy_protocol_v2.enabled": "true",
      "stickiness.enabled": "true",
      "target_failover.on_unhealthy": "rebalance",
    });

    const attributeRefusals: Array<[string, Array<{ Key: string; Value: string }>]> = [
      [tcp.TargetGroupArn ?? "", [{ Key: "stickiness.type", Value: "lb_cookie" }]],
      [tcp.TargetGroupArn ?? "", [{ Key: "slow_start.duration_seconds", Value: "30" }]],
      [tcp.TargetGroupArn ?? "", [{ Key: "load_balancing.algorithm.type", Value: "round_robin" }]],
      [tcp.TargetGroupArn ?? "", [{ Key: "target_failover.on_unhealthy", Value: "no_rebalance" }]],
      [udp.TargetGroupArn ?? "", [{ Key: "preserve_client_ip.enabled", Value: "false" }]],
      [tcp.TargetGroupArn ?? "", [{ Key: "deregistration_delay.timeout_seconds", Value: "3601" }]],
    ];
    for (const [arn, attributes] of attributeRefusals) {
      const error = await failure(
        elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: attributes })),
      );
      expect([attributes[0]?.Key, error.name]).toEqual([attributes[0]?.Key, "ValidationError"]);
    }
    // And an ALB's group does not take NLB-only keys.
    const albGroup = await targetGroup("tg-http", "HTTP");
    const albError = await failure(
      elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: albGroup.TargetGroupArn,
          Attributes: [{ Key: "proxy_protocol_v2.enabled", Value: "true" }],
        }),
      ),
    );
    expect(albError.name).toBe("ValidationError");
  });
});
