import { operation } from "../operation.ts";
import { int, list, req, str, struct, unsupported } from "../shapes.ts";
import {
  Action,
  Attribute,
  Certificate,
  Empty,
  Listener,
  page,
  paging,
  Tag,
  toActions,
} from "./elbv2-shapes.ts";

// Listeners and what belongs to them alone: their certificates and the security policies they name.

const mutualTls = unsupported("Mutual TLS authentication is not supported by scaleout");

/** The wire's certificate list as the services take it (IsDefault is AWS's to set, not the caller's). */
const certificateArns = (certificates: Array<{ certificateArn?: string }> | undefined) =>
  certificates?.map((c) => ({ certificateArn: c.certificateArn ?? "" }));

const SslPolicy = struct({
  sslProtocols: list(str),
  ciphers: list(struct({ name: str, priority: int })),
  name: str,
  supportedLoadBalancerTypes: list(str),
});

export const listenerOperations = {
  CreateListener: operation({
    input: struct({
      loadBalancerArn: req(str),
      protocol: str,
      port: int,
      sslPolicy: str,
      certificates: list(Certificate),
      defaultActions: req(list(Action)),
      alpnPolicy: list(str),
      tags: list(Tag),
      mutualAuthentication: mutualTls,
    }),
    output: struct({ listeners: list(Listener) }),
    support: "partial",
    notes:
      "Protocols HTTP and HTTPS (application), TCP, TLS, UDP and TCP_UDP (network; QUIC is refused); an HTTPS or TLS listener's default certificate must be an ACM certificate of scaleout's store. Ports are unique across load balancers (one local address).",
    run: (input, { services }) => ({
      listeners: [
        services.listeners.create(input.loadBalancerArn, {
          protocol: input.protocol,
          port: input.port,
          sslPolicy: input.sslPolicy,
          certificates: certificateArns(input.certificates),
          defaultActions: toActions(input.defaultActions) ?? [],
          alpnPolicy: input.alpnPolicy,
          tags: input.tags,
        }),
      ],
    }),
  }),

  DescribeListeners: operation({
    input: struct({ loadBalancerArn: str, listenerArns: list(str), ...page }),
    output: struct({ listeners: list(Listener), nextMarker: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.listeners.list({
        loadBalancerName: input.loadBalancerArn,
        listenerArns: input.listenerArns,
        ...paging(input),
      });
      return { listeners: result.items, nextMarker: result.nextToken };
    },
  }),

  ModifyListener: operation({
    input: struct({
      listenerArn: req(str),
      port: int,
      protocol: str,
      sslPolicy: str,
      certificates: list(Certificate),
      defaultActions: list(Action),
      alpnPolicy: list(str),
      mutualAuthentication: mutualTls,
    }),
    output: struct({ listeners: list(Listener) }),
    support: "implemented",
    notes:
      "Changing the protocol to one without TLS (HTTP, TCP, UDP, TCP_UDP) clears the security policy and the certificates, as in AWS.",
    run: (input, { services }) => ({
      listeners: [
        services.listeners.modify(input.listenerArn, {
          protocol: input.protocol,
          port: input.port,
          sslPolicy: input.sslPolicy,
          certificates: certificateArns(input.certificates),
          defaultActions: toActions(input.defaultActions),
          alpnPolicy: input.alpnPolicy,
        }),
      ],
    }),
  }),

  DeleteListener: operation({
    input: struct({ listenerArn: req(str) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.listeners.delete(input.listenerArn);
      return {};
    },
  }),

  DescribeListenerAttributes: operation({
    input: struct({ listenerArn: req(str) }),
    output: struct({ attributes: list(Attribute) }),
    support: "implemented",
    notes: "tcp.idle_timeout.seconds on TCP listeners of network load balancers; other listeners show none.",
    run: (input, { services }) => ({ attributes: services.listenerAttributes.attributes(input.listenerArn) }),
  }),

  ModifyListenerAttributes: operation({
    input: struct({ listenerArn: req(str), attributes: req(list(Attribute)) }),
    output: struct({ attributes: list(Attribute) }),
    support: "partial",
    notes:
      "tcp.idle_timeout.seconds (60-6000) on TCP listeners of network load balancers; the HTTP header attributes of Application Load Balancer listeners are not recognized.",
    run: (input, { services }) => ({
      attributes: services.listenerAttributes.modifyAttributes(
        input.listenerArn,
        input.attributes.map((a) => ({ key: a.key ?? "", value: a.value ?? "" })),
      ),
    }),
  }),

  AddListenerCertificates: operation({
    input: struct({ listenerArn: req(str), certificates: req(list(Certificate)) }),
    output: struct({ certificates: list(Certificate) }),
    support: "implemented",
    run: (input, { services }) => ({
      certificates: services.listenerCertificates.add(input.listenerArn, certificateArns(input.certificates)),
    }),
  }),

  RemoveListenerCertificates: operation({
    input: struct({ listenerArn: req(str), certificates: req(list(Certificate)) }),
    output: Empty,
    support: "implemented",
    run: (input, { services }) => {
      services.listenerCertificates.remove(input.listenerArn, certificateArns(input.certificates));
      return {};
    },
  }),

  DescribeListenerCertificates: operation({
    input: struct({ listenerArn: req(str), ...page }),
    output: struct({ certificates: list(Certificate), nextMarker: str }),
    support: "implemented",
    run: (input, { services }) => {
      const result = services.listenerCertificates.list(input.listenerArn, paging(input));
      return { certificates: result.items, nextMarker: result.nextToken };
    },
  }),

  DescribeSSLPolicies: operation({
    input: struct({ names: list(str), loadBalancerType: str, ...page }),
    output: struct({ sslPolicies: list(SslPolicy), nextMarker: str }),
    support: "implemented",
    notes:
      "AWS's ALB policies with their protocols and ciphers; the RFC 9151 Ext0 and INTEROP variants are not listed.",
    run: (input, { services }) => {
      const result = services.sslPolicies.describe({
        names: input.names,
        loadBalancerType: input.loadBalancerType,
        ...paging(input),
      });
      return { sslPolicies: result.items, nextMarker: result.nextToken };
    },
  }),
};
