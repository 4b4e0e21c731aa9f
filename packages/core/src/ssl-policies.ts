/**
 * ELB security policies: AWS's names, with the TLS protocols and ciphers AWS documents for each
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 * Cipher names are OpenSSL's, as AWS writes them, so the same list answers DescribeSSLPolicies and
 * configures the proxy's TLS servers.
 */

export type TlsProtocol = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

export interface SslPolicy {
  name: string;
  protocols: readonly TlsProtocol[];
  /** In AWS's priority order (DescribeSSLPolicies' Priority is the index + 1). */
  ciphers: readonly string[];
  supportedLoadBalancerTypes: readonly ("application" | "network")[];
}

/** What a listener created through the API, the CLI or CloudFormation without `SslPolicy` gets. */
export const defaultSslPolicyName = "ELBSecurityPolicy-2016-08";

const tls13Ciphers = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

const forwardSecretTls12 = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES128-SHA256",
  "ECDHE-RSA-AES128-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES256-SHA384",
  "ECDHE-RSA-AES256-SHA384",
];

const both = ["application", "network"] as const;

export const sslPolicies: readonly SslPolicy[] = [
  {
    name: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    protocols: ["TLSv1.2", "TLSv1.3"],
    ciphers: [...tls13Ciphers, ...forwardSecretTls12],
    supportedLoadBalancerTypes: both,
  },
  {
    name: "ELBSecurityPolicy-2016-08",
    protocols: ["TLSv1", "TLSv1.1", "TLSv1.2"],
    ciphers: [
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES128-SHA256",
      "ECDHE-RSA-AES128-SHA256",
      "ECDHE-ECDSA-AES128-SHA",
      "ECDHE-RSA-AES128-SHA",
      "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-AES256-SHA384",
      "ECDHE-RSA-AES256-SHA384",
      "ECDHE-RSA-AES256-SHA",
      "ECDHE-ECDSA-AES256-SHA",
      "AES128-GCM-SHA256",
      "AES128-SHA256",
      "AES128-SHA",
      "AES256-GCM-SHA384",
      "AES256-SHA256",
      "AES256-SHA",
    ],
    supportedLoadBalancerTypes: both,
  },
];

const byName = new Map(sslPolicies.map((p) => [p.name, p]));

export function findSslPolicy(name: string): SslPolicy | undefined {
  return byName.get(name);
}

/** The options of Node's `tls.createSecureContext` that enforce a policy. */
export interface TlsPolicyOptions {
  minVersion: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  maxVersion: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** OpenSSL cipher list (TLS 1.2 and below) followed by TLS 1.3 suites, colon-separated, in priority order. */
  ciphers: string;
  /** Server's cipher order, as ELB applies it. */
  honorCipherOrder: true;
}

const protocolOrder: readonly TlsProtocol[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export function tlsOptionsOf(policy: SslPolicy): TlsPolicyOptions {
  const ranks = policy.protocols.map((p) => protocolOrder.indexOf(p));
  const min = protocolOrder[Math.min(...ranks)] ?? "TLSv1.2";
  const max = protocolOrder[Math.max(...ranks)] ?? "TLSv1.2";
  // OpenSSL refuses TLS 1.0/1.1 and SHA-1 ciphers at its default security level; a policy that offers them
  // must lower it, or the legacy policies would silently be stricter than AWS's.
  const legacy = policy.protocols.includes("TLSv1") || policy.protocols.includes("TLSv1.1");
  return {
    minVersion: min,
    maxVersion: max,
    ciphers: `${policy.ciphers.join(":")}${legacy ? ":@SECLEVEL=0" : ""}`,
    honorCipherOrder: true,
  };
}
