import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  alpnPolicies,
  checkAlpnPolicy,
  checkDualStackProtocol,
  checkListenerProtocol,
  checkNetworkActions,
  checkTargetProtocols,
  listenerAttributeSpecs,
  networkListenerProtocols,
  type targetProtocolsOf,
} from "./listener-protocols.ts";
import type { Action } from "./types.ts";

const code = (code: string) => expect.objectContaining({ code });
const forward = (...arns: string[]): Action => ({
  type: "forward",
  forwardConfig: { targetGroups: arns.map((targetGroupArn) => ({ targetGroupArn, weight: 1 })) },
});

describe("listener protocol by load balancer type", () => {
  it("takes HTTP and HTTPS on an ALB, TCP, TLS, UDP and TCP_UDP on an NLB", () => {
    for (const p of ["HTTP", "HTTPS"]) expect(checkListenerProtocol("application", p)).toBe(p);
    for (const p of networkListenerProtocols) expect(checkListenerProtocol("network", p)).toBe(p);
  });

  it("answers the other type's protocols with AWS's ValidationError wording", () => {
    expect(() => checkListenerProtocol("application", "TCP")).toThrow(
      "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'",
    );
    expect(() => checkListenerProtocol("network", "HTTPS")).toThrow(
      "Listener protocol 'HTTPS' must be one of 'TLS, TCP, TCP_UDP, UDP'",
    );
    expect(() => checkListenerProtocol("network", "QUIC")).toThrow(code("UnsupportedProtocol"));
  });

  it("refuses UDP and TCP_UDP on a dualstack load balancer", () => {
    expect(() => checkDualStackProtocol("dualstack", "UDP")).toThrow(code("ValidationError"));
    expect(() => checkDualStackProtocol("dualstack", "TCP_UDP")).toThrow(code("ValidationError"));
    expect(() => checkDualStackProtocol("dualstack", "TCP")).not.toThrow();
    expect(() => checkDualStackProtocol("ipv4", "UDP")).not.toThrow();
  });
});

describe("listener to target group protocols", () => {
  const cases: Array<[keyof typeof targetProtocolsOf, string, boolean]> = [
    ["TCP", "TCP", true],
    ["TCP", "TCP_UDP", true],
    ["TCP", "UDP", false],
    ["TCP", "TLS", false],
    ["TLS", "TCP", true],
    ["TLS", "TLS", true],
    ["TLS", "TCP_UDP", false],
    ["UDP", "UDP", true],
    ["UDP", "TCP_UDP", true],
    ["UDP", "TCP", false],
    ["TCP_UDP", "TCP_UDP", true],
    ["TCP_UDP", "TCP", false],
    ["TCP_UDP", "UDP", false],
    ["HTTP", "HTTPS", true],
    ["HTTP", "TCP", false],
    ["HTTPS", "TLS", false],
  ];
  it.each(cases)("%s listener to a %s group: %s", (listener, group, ok) => {
    const run = () => checkTargetProtocols(listener, [{ arn: "arn:tg", protocol: group }]);
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(code("IncompatibleProtocols"));
  });
});

describe("ALPN policies", () => {
  it("takes one of AWS's five names on TLS listeners, and keeps the current one when none is given", () => {
    for (const name of alpnPolicies) expect(checkAlpnPolicy("TLS", [name])).toBe(name);
    expect(checkAlpnPolicy("TLS", undefined, "HTTP2Only")).toBe("HTTP2Only");
    expect(checkAlpnPolicy("TLS", undefined)).toBeNull();
  });

  it("refuses unknown names (ALPNPolicyNotFound), two names, and any policy on other protocols", () => {
    expect(() => checkAlpnPolicy("TLS", ["h2"])).toThrow(code("ALPNPolicyNotFound"));
    expect(() => checkAlpnPolicy("TLS", ["HTTP1Only", "HTTP2Only"])).toThrow(code("ValidationError"));
    for (const protocol of ["TCP", "UDP", "TCP_UDP", "HTTPS"]) {
      expect(() => checkAlpnPolicy(protocol, ["HTTP1Only"])).toThrow(code("ValidationError"));
      expect(checkAlpnPolicy(protocol, undefined, "HTTP1Only")).toBeNull();
    }
  });

  it("never answers anything but one of the names or an AWS error, whatever the input", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 3 }), (given) => {
        try {
          const policy = checkAlpnPolicy("TLS", given);
          expect(policy === null || (alpnPolicies as readonly string[]).includes(policy)).toBe(true);
        } catch (error) {
          expect(error).toEqual(expect.objectContaining({ statusCode: 400 }));
        }
      }),
    );
  });
});

describe("network listener actions", () => {
  it("takes one forward to one target group", () => {
    expect(() => checkNetworkActions([forward("arn:a")])).not.toThrow();
    expect(() => checkNetworkActions([{ ...forward("arn:a"), targetGroupArn: "arn:a" }])).not.toThrow();
  });

  it("refuses other action types, two groups, two actions and stickiness", () => {
    expect(() =>
      checkNetworkActions([{ type: "fixed-response", fixedResponseConfig: { statusCode: "200" } }]),
    ).toThrow(code("InvalidLoadBalancerAction"));
    expect(() =>
      checkNetworkActions([{ type: "redirect", redirectConfig: { statusCode: "HTTP_301" } }]),
    ).toThrow(code("InvalidLoadBalancerAction"));
    expect(() => checkNetworkActions([forward("arn:a", "arn:b")])).toThrow(code("ValidationError"));
    expect(() => checkNetworkActions([forward("arn:a"), forward("arn:b")])).toThrow(code("ValidationError"));
    const sticky: Action = {
      type: "forward",
      forwardConfig: {
        targetGroups: [{ targetGroupArn: "arn:a" }],
        targetGroupStickinessConfig: { enabled: true, durationSeconds: 60 },
      },
    };
    expect(() => checkNetworkActions([sticky])).toThrow(code("ValidationError"));
  });
});

describe("listener attributes", () => {
  it("gives TCP listeners tcp.idle_timeout.seconds (60-6000, default 350) and the others none", () => {
    const tcp = listenerAttributeSpecs("TCP");
    const idle = tcp["tcp.idle_timeout.seconds"];
    expect(idle?.default).toBe("350");
    expect(["60", "6000", "350"].map((v) => idle?.validate(v))).toEqual([true, true, true]);
    expect(["59", "6001", "-1", "1e3", ""].map((v) => idle?.validate(v))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const protocol of ["TLS", "UDP", "TCP_UDP", "HTTP", "HTTPS"])
      expect(listenerAttributeSpecs(protocol)).toEqual({});
  });
});
