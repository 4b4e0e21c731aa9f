import { RequestCertificateCommand } from "@aws-sdk/client-acm";
import {
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";

// A Network Load Balancer, its listeners of all four protocols, target groups and attributes, driven only
// through the AWS SDK v3 ELBv2 client (and ACM's for the TLS listener's certificate), with AWS's errors.

let api: AwsTestApi;
let elbv2: ElasticLoadBalancingV2Client;
beforeAll(async () => {
  api = await startAwsApi();
  elbv2 = api.clients().elbv2;
});
afterAll(async () => {
  await api?.close();
});

async function targetGroup(name: string, protocol: string, extra: Record<string, unknown> = {}) {
  const created = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: protocol as "TCP",
      Port: 9000,
      VpcId: "vpc-1",
      ...extra,
    }),
  );
  const group = created.TargetGroups?.[0];
  if (!group?.TargetGroupArn) throw new Error("no target group");
  return group;
}

async function networkLoadBalancer(name: string): Promise<string> {
  const created = await elbv2.send(
    new CreateLoadBalancerCommand({ Name: name, Type: "network", Subnets: ["subnet-1"] }),
  );
  const arn = created.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!arn) throw new Error("no load balancer ARN");
  return arn;
}

const forward = (arn: string | undefined) => [{ Type: "forward" as const, TargetGroupArn: arn ?? "" }];

async function attributesOf(command: Promise<{ Attributes?: Array<{ Key?: string; Value?: string }> }>) {
  const { Attributes } = await command;
  return Object.fromEntries((Attributes ?? []).map((a) => [a.Key, a.Value]));
}

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

  test("listeners TCP, TLS, UDP and TCP_UDP: protocol rules, forward-only actions, ALPN, attributes", async () => {
    const lb = await networkLoadBalancer("nlb-listeners");
    const tcp = await targetGroup("l-tcp", "TCP");
    const tls = await targetGroup("l-tls", "TLS");
    const udp = await targetGroup("l-udp", "UDP");
    const both = await targetGroup("l-tcp-udp", "TCP_UDP");
    const http = await targetGroup("l-http", "HTTP");

    const tcpListener = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: "TCP",
          Port: 7001,
          DefaultActions: forward(tcp.TargetGroupArn),
        }),
      )
    ).Listeners?.[0];
    expect(tcpListener).toMatchObject({
      ListenerArn: expect.stringMatching(/:listener\/net\/nlb-listeners\/[0-9a-f]{16}\/[0-9a-f]{16}$/),
      Protocol: "TCP",
      Port: 7001,
    });
    expect(tcpListener?.SslPolicy).toBeUndefined();
    expect(tcpListener?.AlpnPolicy).toBeUndefined();

    const { acm } = api.clients();
    const certificate = await acm.send(
      new RequestCertificateCommand({ DomainName: "tls.example.com", KeyAlgorithm: "EC_prime256v1" }),
    );
    const certificateArn = certificate.CertificateArn ?? "";
    const tlsListener = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: "TLS",
          Port: 7002,
          Certificates: [{ CertificateArn: certificateArn }],
          AlpnPolicy: ["HTTP2Preferred"],
          DefaultActions: forward(tcp.TargetGroupArn),
        }),
      )
    ).Listeners?.[0];
    expect(tlsListener).toMatchObject({
      Protocol: "TLS",
      SslPolicy: "ELBSecurityPolicy-2016-08",
      AlpnPolicy: ["HTTP2Preferred"],
      Certificates: [{ CertificateArn: certificateArn }],
    });
    const udpListener = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: "UDP",
          Port: 7053,
          DefaultActions: forward(udp.TargetGroupArn),
        }),
      )
    ).Listeners?.[0];
    const bothListener = (
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: "TCP_UDP",
          Port: 7054,
          DefaultActions: [
            { Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: both.TargetGroupArn }] } },
          ],
        }),
      )
    ).Listeners?.[0];
    expect([udpListener?.Protocol, bothListener?.Protocol]).toEqual(["UDP", "TCP_UDP"]);
    const listed = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb }));
    expect(listed.Listeners?.map((l) => l.Protocol).sort()).toEqual(["TCP", "TCP_UDP", "TLS", "UDP"]);

    const create = (input: Record<string, unknown>) =>
      failure(
        elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb,
            Port: 7100,
            DefaultActions: forward(tcp.TargetGroupArn),
            ...input,
          }),
        ),
      );
    const cases: Array<[Record<string, unknown>, string, string?]> = [
      [
        { Protocol: "HTTP" },
        "ValidationError",
        "Listener protocol 'HTTP' must be one of 'TLS, TCP, TCP_UDP, UDP'",
      ],
      [{ Protocol: "TLS" }, "ValidationError", "A certificate must be specified for TLS listeners"],
      [{ Protocol: "TCP", AlpnPolicy: ["HTTP2Only"] }, "ValidationError"],
      [
        { Protocol: "TLS", Certificates: [{ CertificateArn: certificateArn }], AlpnPolicy: ["HTTP3"] },
        "ALPNPolicyNotSupportedException",
      ],
      [{ Protocol: "TCP", Certificates: [{ CertificateArn: certificateArn }] }, "ValidationError"],
      [{ Protocol: "TCP", DefaultActions: forward(udp.TargetGroupArn) }, "IncompatibleProtocolsException"],
      [{ Protocol: "TCP", DefaultActions: forward(http.TargetGroupArn) }, "IncompatibleProtocolsException"],
      [
        {
          Protocol: "TLS",
          Certificates: [{ CertificateArn: certificateArn }],
          DefaultActions: forward(udp.TargetGroupArn),
        },
        "IncompatibleProtocolsException",
      ],
      [{ Protocol: "UDP", DefaultActions: forward(tcp.TargetGroupArn) }, "IncompatibleProtocolsException"],
      [
        { Protocol: "TCP_UDP", DefaultActions: forward(tcp.TargetGroupArn) },
        "IncompatibleProtocolsException",
      ],
      [
        {
          Protocol: "TCP",
          DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }],
        },
        "InvalidLoadBalancerActionException",
      ],
      [
        {
          Protocol: "TCP",
          DefaultActions: [
            {
              Type: "forward",
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: tcp.TargetGroupArn },
                  { TargetGroupArn: both.TargetGroupArn },
                ],
              },
            },
          ],
        },
        "ValidationError",
      ],
      [{ Protocol: "TCP", Port: 7001 }, "DuplicateListenerException"],
    ];
    for (const [input, code, message] of cases) {
      const error = await create(input);
      expect([JSON.stringify(input), error.name]).toEqual([JSON.stringify(input), code]);
      if (message) expect(error.message).toBe(message);
    }
    // TLS forwards to TCP or TLS groups, UDP and TCP to TCP_UDP ones.
    const reencrypt = await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: tlsListener?.ListenerArn,
        DefaultActions: forward(tls.TargetGroupArn),
      }),
    );
    expect(reencrypt.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn).toBe(tls.TargetGroupArn);

    // An ALB takes neither NLB protocols nor network target groups.
    const alb = await elbv2.send(
      new CreateLoadBalancerCommand({ Name: "alb-listeners", Subnets: ["subnet-1"] }),
    );
    const albArn = alb.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
    const albTcp = await failure(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: albArn,
          Protocol: "TCP",
          Port: 7101,
          DefaultActions: forward(tcp.TargetGroupArn),
        }),
      ),
    );
    expect([albTcp.name, albTcp.message]).toEqual([
      "ValidationError",
      "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'",
    ]);
    const albToTcpGroup = await failure(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: albArn,
          Protocol: "HTTP",
          Port: 7102,
          DefaultActions: forward(tcp.TargetGroupArn),
        }),
      ),
    );
    expect(albToTcpGroup.name).toBe("IncompatibleProtocolsException");

    // ModifyListener: ALPN and policy on TLS; to TCP clears both; back to TLS needs a certificate again.
    const alpn = await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: tlsListener?.ListenerArn,
        AlpnPolicy: ["None"],
        SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      }),
    );
    expect(alpn.Listeners?.[0]).toMatchObject({
      AlpnPolicy: ["None"],
      SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    const toTcp = await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: tlsListener?.ListenerArn,
        Protocol: "TCP",
        DefaultActions: forward(tcp.TargetGroupArn),
      }),
    );
    expect(toTcp.Listeners?.[0]?.SslPolicy).toBeUndefined();
    expect(toTcp.Listeners?.[0]?.AlpnPolicy).toBeUndefined();
    expect(toTcp.Listeners?.[0]?.Certificates).toBeUndefined();
    const noCertificate = await failure(
      elbv2.send(new ModifyListenerCommand({ ListenerArn: tlsListener?.ListenerArn, Protocol: "TLS" })),
    );
    expect(noCertificate.name).toBe("ValidationError");
    const toHttp = await failure(
      elbv2.send(new ModifyListenerCommand({ ListenerArn: tcpListener?.ListenerArn, Protocol: "HTTP" })),
    );
    expect(toHttp.name).toBe("ValidationError");
    const toUdp = await failure(
      elbv2.send(new ModifyListenerCommand({ ListenerArn: tcpListener?.ListenerArn, Protocol: "UDP" })),
    );
    expect(toUdp.name).toBe("IncompatibleProtocolsException");
    const redirect = await failure(
      elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: tcpListener?.ListenerArn,
          DefaultActions: [
            { Type: "redirect", RedirectConfig: { StatusCode: "HTTP_301", Protocol: "HTTPS" } },
          ],
        }),
      ),
    );
    expect(redirect.name).toBe("InvalidLoadBalancerActionException");

    // Back to TLS with a certificate; AddListenerCertificates takes SNI certificates on TLS listeners.
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: tlsListener?.ListenerArn,
        Protocol: "TLS",
        Certificates: [{ CertificateArn: certificateArn }],
      }),
    );
    const sni = await acm.send(
      new RequestCertificateCommand({ DomainName: "sni.example.com", KeyAlgorithm: "EC_prime256v1" }),
    );
    const added = await elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: tlsListener?.ListenerArn,
        Certificates: [{ CertificateArn: sni.CertificateArn }],
      }),
    );
    expect(added.Certificates?.map((c) => c.CertificateArn)).toContain(sni.CertificateArn);
    const onTcp = await failure(
      elbv2.send(
        new AddListenerCertificatesCommand({
          ListenerArn: tcpListener?.ListenerArn,
          Certificates: [{ CertificateArn: sni.CertificateArn }],
        }),
      ),
    );
    expect(onTcp.name).toBe("ValidationError");

    // Listener attributes: tcp.idle_timeout.seconds on TCP listeners only.
    const idle = await attributesOf(
      elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: tcpListener?.ListenerArn })),
    );
    expect(idle).toEqual({ "tcp.idle_timeout.seconds": "350" });
    const modifiedIdle = await attributesOf(
      elbv2.send(
        new ModifyListenerAttributesCommand({
          ListenerArn: tcpListener?.ListenerArn,
          Attributes: [{ Key: "tcp.idle_timeout.seconds", Value: "60" }],
        }),
      ),
    );
    expect(modifiedIdle).toEqual({ "tcp.idle_timeout.seconds": "60" });
    for (const [arn, value] of [
      [tcpListener?.ListenerArn, "59"],
      [tcpListener?.ListenerArn, "6001"],
      [udpListener?.ListenerArn, "120"],
      [tlsListener?.ListenerArn, "350"],
    ] as const) {
      const error = await failure(
        elbv2.send(
          new ModifyListenerAttributesCommand({
            ListenerArn: arn,
            Attributes: [{ Key: "tcp.idle_timeout.seconds", Value: value }],
          }),
        ),
      );
      expect(error.name).toBe("ValidationError");
    }
    expect(
      await attributesOf(
        elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: udpListener?.ListenerArn })),
      ),
    ).toEqual({});

    // NLB listeners have no rules besides the default one.
    const rules = await elbv2.send(new DescribeRulesCommand({ ListenerArn: tcpListener?.ListenerArn }));
    expect(rules.Rules?.map((r) => r.IsDefault)).toEqual([true]);
    const rule = await failure(
      elbv2.send(
        new CreateRuleCommand({
          ListenerArn: tcpListener?.ListenerArn,
          Priority: 1,
          Conditions: [{ Field: "path-pattern", Values: ["/a"] }],
          Actions: forward(tcp.TargetGroupArn),
        }),
      ),
    );
    expect(rule.name).toBe("InvalidConfigurationRequestException");

    // A target group an NLB uses shows it, and an ALB cannot take it.
    const groups = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb }));
    expect(groups.TargetGroups?.map((g) => g.TargetGroupName).sort()).toEqual([
      "l-tcp",
      "l-tcp-udp",
      "l-udp",
    ]);
    expect(groups.TargetGroups?.find((g) => g.TargetGroupName === "l-tcp")?.LoadBalancerArns).toEqual([lb]);
  });
});
