import { createSecureContext } from "node:tls";

/**
 * ELB security policies: AWS's names, with the TLS protocols and ciphers AWS documents for each, in AWS's
 * priority order. Source: the Elastic Load Balancing user guide, "Security policies for your Application
 * Load Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html:
 * the policy names, and its protocol and cipher tables), and DescribeSSLPolicies' answers for the 2016-08,
 * 2015-05, TLS-1-x, FS and TLS13 2021-06 policies (as moto records them in moto/elbv2/responses.py). Cipher
 * names are OpenSSL's, as AWS writes them, so the same list answers DescribeSSLPolicies and configures the
 * proxy's TLS servers.
 *
 * The FIPS (2023-04) policies are their 2021-06 counterparts without TLS_CHACHA20_POLY1305_SHA256 (ChaCha20
 * is not FIPS-approved), Ext0 being Ext2 without the RSA key exchange suites; each PQ (2025-09) policy has
 * the protocols and ciphers of the policy it extends and adds hybrid ML-KEM key exchange
 * (`keyExchange: "hybrid-pq"`). These two families follow the guide as summarised here and were not checked
 * against an API answer. The RFC 9151 "Ext0" and "INTEROP" variants are not carried (docs/aws-differences.md).
 */

export type TlsProtocol = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

export type LoadBalancerKind = "application" | "network";

export interface SslPolicy {
  name: string;
  protocols: readonly TlsProtocol[];
  /** In AWS's priority order (DescribeSSLPolicies' Priority is the index + 1). */
  ciphers: readonly string[];
  supportedLoadBalancerTypes: readonly LoadBalancerKind[];
  /** `hybrid-pq` for the 2025-09 post-quantum policies: ML-KEM hybrid groups first, classical after. */
  keyExchange?: "hybrid-pq";
}

/** What a listener created through the API, the CLI or CloudFormation without `SslPolicy` gets. */
export const defaultSslPolicyName = "ELBSecurityPolicy-2016-08";

// ---- Cipher lists, each in AWS's priority order -----------------------------------------------------------

const tls13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const tls13Fips = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"];

const ecdheGcm128 = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"];
const ecdheGcm256 = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"];
const ecdheCbc128 = ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256"];
const ecdheCbc256 = ["ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384"];
const ecdheSha1_128 = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA"];
/** The 2021-06 TLS 1.3 family lists ECDSA first; the older families list RSA first. */
const ecdheSha1_256 = ["ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA"];
const ecdheSha1_256RsaFirst = ["ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA"];
const rsaKx = ["AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"];
const rsaKxWithSha1 = [
  "AES128-GCM-SHA256",
  "AES128-SHA256",
  "AES128-SHA",
  "AES256-GCM-SHA384",
  "AES256-SHA256",
  "AES256-SHA",
];

/** ELBSecurityPolicy-2016-08's TLS 1.2 and below list, which the legacy and Ext policies share. */
const legacy2016 = [
  ...ecdheGcm128,
  ...ecdheCbc128,
  ...ecdheSha1_128,
  ...ecdheGcm256,
  ...ecdheCbc256,
  ...ecdheSha1_256RsaFirst,
  ...rsaKxWithSha1,
];
const forwardSecret2018 = [
  ...ecdheGcm128,
  ...ecdheCbc128,
  ...ecdheSha1_128,
  ...ecdheGcm256,
  ...ecdheCbc256,
  ...ecdheSha1_256RsaFirst,
];

const tls12Modern = [...ecdheGcm128, ...ecdheCbc128, ...ecdheGcm256, ...ecdheCbc256];
const tls12Restricted = [...ecdheGcm128, ...ecdheGcm256];
const tls12Ext0 = [
  ...ecdheGcm128,
  ...ecdheCbc128,
  ...ecdheSha1_128,
  ...ecdheGcm256,
  ...ecdheCbc256,
  ...ecdheSha1_256,
];
const tls12Ext1 = [...tls12Modern, ...rsaKx];
const tls12Ext2 = [...tls12Ext0, ...rsaKxWithSha1];
/** TLS13-1-1 and TLS13-1-0 list the SHA-1 AES256 ECDHE suites RSA first, as 2016-08 does. */
const tls12Legacy13 = [
  ...ecdheGcm128,
  ...ecdheCbc128,
  ...ecdheSha1_128,
  ...ecdheGcm256,
  ...ecdheCbc256,
  ...ecdheSha1_256RsaFirst,
  ...rsaKxWithSha1,
];

const both: readonly LoadBalancerKind[] = ["application", "network"];
const v10to12: readonly TlsProtocol[] = ["TLSv1", "TLSv1.1", "TLSv1.2"];
const v11to12: readonly TlsProtocol[] = ["TLSv1.1", "TLSv1.2"];
const v12: readonly TlsProtocol[] = ["TLSv1.2"];
const v12to13: readonly TlsProtocol[] = ["TLSv1.2", "TLSv1.3"];
const v11to13: readonly TlsProtocol[] = ["TLSv1.1", "TLSv1.2", "TLSv1.3"];
const v10to13: readonly TlsProtocol[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const v13: readonly TlsProtocol[] = ["TLSv1.3"];

const policy = (name: string, protocols: readonly TlsProtocol[], ciphers: readonly string[]): SslPolicy => ({
  name,
  protocols,
  ciphers,
  supportedLoadBalancerTypes: both,
});

/** The TLS 1.3 policies of 2021-06 and their FIPS (2023-04) twins, by the suffix AWS names them with. */
const tls13Families: ReadonlyArray<{ suffix: string; protocols: readonly TlsProtocol[]; tls12: string[] }> = [
  { suffix: "1-2", protocols: v12to13, tls12: tls12Modern },
  { suffix: "1-2-Res", protocols: v12to13, tls12: tls12Restricted },
  { suffix: "1-2-Ext1", protocols: v12to13, tls12: tls12Ext1 },
  { suffix: "1-2-Ext2", protocols: v12to13, tls12: tls12Ext2 },
  { suffix: "1-1", protocols: v11to13, tls12: tls12Legacy13 },
  { suffix: "1-0", protocols: v10to13, tls12: tls12Legacy13 },
  { suffix: "1-3", protocols: v13, tls12: [] },
];

const fipsOnly: ReadonlyArray<{ suffix: string; protocols: readonly TlsProtocol[]; tls12: string[] }> = [
  { suffix: "1-2-Ext0", protocols: v12to13, tls12: tls12Ext0 },
];

const tls13Policies = tls13Families.map((f) =>
  policy(`ELBSecurityPolicy-TLS13-${f.suffix}-2021-06`, f.protocols, [...tls13, ...f.tls12]),
);
const fipsPolicies = [...tls13Families, ...fipsOnly].map((f) =>
  policy(`ELBSecurityPolicy-TLS13-${f.suffix}-FIPS-2023-04`, f.protocols, [...tls13Fips, ...f.tls12]),
);
/** Every 2025-09 PQ policy extends a 2021-06 or FIPS 2023-04 policy of the same suffix. */
const pqPolicies = [...tls13Policies, ...fipsPolicies]
  .filter((p) => !p.name.includes("-1-1-"))
  .map(
    (p): SslPolicy => ({
      ...p,
      name: p.name.replace(/-(2021-06|2023-04)$/, "-PQ-2025-09"),
      keyExchange: "hybrid-pq",
    }),
  );

export const sslPolicies: readonly SslPolicy[] = [
  policy("ELBSecurityPolicy-2016-08", v10to12, legacy2016),
  ...tls13Policies,
  ...fipsPolicies,
  policy("ELBSecurityPolicy-TLS13-1-2-RFC9151-FIPS-2023-07", v12to13, [
    "TLS_AES_256_GCM_SHA384",
    ...ecdheGcm256,
  ]),
  policy("ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07", v13, ["TLS_AES_256_GCM_SHA384"]),
  ...pqPolicies,
  policy("ELBSecurityPolicy-FS-1-2-Res-2020-10", v12, tls12Restricted),
  policy("ELBSecurityPolicy-FS-1-2-Res-2019-08", v12, tls12Modern),
  policy("ELBSecurityPolicy-FS-1-2-2019-08", v12, forwardSecret2018),
  policy("ELBSecurityPolicy-FS-1-1-2019-08", v11to12, forwardSecret2018),
  policy("ELBSecurityPolicy-FS-2018-06", v10to12, forwardSecret2018),
  policy("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", v12, legacy2016),
  policy("ELBSecurityPolicy-TLS-1-2-2017-01", v12, [...tls12Modern, ...rsaKx]),
  policy("ELBSecurityPolicy-TLS-1-1-2017-01", v11to12, legacy2016),
  // Identical to 2016-08; AWS still answers it for ALBs created with it.
  policy("ELBSecurityPolicy-2015-05", v10to12, legacy2016),
];

const byName = new Map(sslPolicies.map((p) => [p.name, p]));

export function findSslPolicy(name: string): SslPolicy | undefined {
  return byName.get(name);
}

// ---- Node TLS options -------------------------------------------------------------------------------------

/** The options of Node's `tls.createSecureContext` that enforce a policy. */
export interface TlsPolicyOptions {
  minVersion: TlsProtocol;
  maxVersion: TlsProtocol;
  /** OpenSSL cipher list (TLS 1.2 and below) followed by TLS 1.3 suites, colon-separated, in priority order. */
  ciphers: string;
  /** Server's cipher order, as ELB applies it. */
  honorCipherOrder: true;
  /**
   * Key exchange groups in preference order (Node's `ecdhCurve`), set for the PQ policies only: the hybrid
   * ML-KEM groups where the runtime's OpenSSL has them (3.5 and later, Node 24), then classical curves.
   */
  ecdhCurve?: string;
}

/** The hybrid groups AWS's PQ policies offer, in OpenSSL's names. */
export const hybridPqGroups = ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"] as const;
const classicalGroups = ["X25519", "P-256", "P-384"];

let availableHybrids: string[] | undefined;

/**
 * The hybrid groups this runtime's OpenSSL can negotiate, probed once: OpenSSL refuses an unknown group
 * when a context is configured with it, so a refusal means "not here".
 */
export function availableHybridPqGroups(): readonly string[] {
  if (availableHybrids === undefined) {
    availableHybrids = hybridPqGroups.filter((group) => {
      try {
        createSecureContext({ ecdhCurve: group });
        return true;
      } catch {
        return false;
      }
    });
  }
  return availableHybrids;
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
    ...(policy.keyExchange === "hybrid-pq" && {
      ecdhCurve: [...availableHybridPqGroups(), ...classicalGroups].join(":"),
    }),
  };
}
