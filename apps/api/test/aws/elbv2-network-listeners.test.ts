import { RequestCertificateCommand } from "@aws-sdk/client-acm";
import {
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AwsTestApi, failure, startAwsApi } from "./helpers.ts";
import {
  attributesOf,
  targetGroup as createTargetGroup,
  forward,
  networkLoadBalancer,
} from "./network-fixture.ts";

// A Network Load Balancer's listeners of all four protocols through the ELBv2 SDK client (and ACM's for the
// TLS listener's certificates): protocol rules, actions, ALPN, certificates and listener attributes.

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

describe("Network Load Balancer listeners through the ELBv2 SDK client", () => {
  test("listeners TCP, TLS, UDP and TCP_UDP: protocol rules, forward-only actions, ALPN, attributes", async () => {
    const lb = await networkLoadBalancer(elbv2, "nlb-listeners");
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
