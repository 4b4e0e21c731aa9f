import {
  defaultSslPolicyName,
  findSslPolicy,
  type SelectableCertificate,
  type SslPolicy,
} from "@scaleout/core";
import type { RegistryData } from "@scaleout/db";

/** One certificate of a listener, with the material its TLS server needs. */
export interface ListenerCertificate extends SelectableCertificate {
  certificatePem: string;
  chainPem: string | null;
  privateKeyPem: string;
}

/**
 * What an HTTPS listener's TLS server is built from, or why it cannot serve TLS (no certificate, an
 * unknown policy): such a listener is not bound and its load balancer is active_impaired with the
 * reason, as when a listener cannot bind its port.
 */
export type ListenerTls =
  | { problem: null; policy: SslPolicy; certificates: ListenerCertificate[] }
  | { problem: string };

type CertificateRow = RegistryData["certificates"][number];

/**
 * Each HTTPS and TLS listener's certificates (listener_certificates joined to certificates) and security policy.
 * A listener stored before listener_certificates existed names its certificate only in its
 * `certificates` column: that certificate, when the store has it, is its default.
 */
export function loadListenerTls(data: RegistryData): Map<string, ListenerTls> {
  const out = new Map<string, ListenerTls>();
  if (!data.listeners.some((l) => l.protocol === "HTTPS" || l.protocol === "TLS")) return out;
  const certificates = new Map<string, CertificateRow>();
  for (const cert of data.certificates) certificates.set(cert.arn, cert);
  const byListener = new Map<string, ListenerCertificate[]>();
  for (const link of data.listenerCertificates) {
    const cert = certificates.get(link.certificateArn);
    if (!cert) continue;
    const list = byListener.get(link.listenerArn) ?? [];
    list.push(listenerCertificate(cert, link.isDefault));
    byListener.set(link.listenerArn, list);
  }
  for (const listener of data.listeners) {
    if (listener.protocol !== "HTTPS" && listener.protocol !== "TLS") continue;
    let chosen = byListener.get(listener.arn) ?? [];
    if (chosen.length === 0) {
      const legacy = certificates.get(listener.certificates?.[0]?.certificateArn ?? "");
      chosen = legacy ? [listenerCertificate(legacy, true)] : [];
    }
    const policyName = listener.sslPolicy ?? defaultSslPolicyName;
    const policy = findSslPolicy(policyName);
    if (!policy)
      out.set(listener.arn, {
        problem: `Listener on port ${listener.port}: unknown SslPolicy ${policyName}`,
      });
    else if (!chosen.some((c) => c.isDefault))
      out.set(listener.arn, {
        problem: `Listener on port ${listener.port} has no default certificate in the certificate store`,
      });
    else out.set(listener.arn, { problem: null, policy, certificates: chosen });
  }
  return out;
}

function listenerCertificate(cert: CertificateRow, isDefault: boolean): ListenerCertificate {
  const names = [cert.domainName, ...cert.subjectAlternativeNames];
  return {
    arn: cert.arn,
    names,
    keyAlgorithm: cert.keyAlgorithm,
    notAfter: cert.notAfter,
    isDefault,
    certificatePem: cert.certificatePem,
    chainPem: cert.chainPem,
    privateKeyPem: cert.privateKeyPem,
  };
}
