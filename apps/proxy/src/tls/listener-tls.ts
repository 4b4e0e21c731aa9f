import {
  defaultSslPolicyName,
  findSslPolicy,
  type SelectableCertificate,
  type SslPolicy,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { eq } from "drizzle-orm";

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

type ListenerRow = typeof schema.listeners.$inferSelect;

/**
 * Each HTTPS and TLS listener's certificates (listener_certificates joined to certificates) and security policy.
 * A listener stored before listener_certificates existed names its certificate only in its
 * `certificates` column: that certificate, when the store has it, is its default.
 */
export function loadListenerTls(tx: Db | Tx, listeners: readonly ListenerRow[]): Map<string, ListenerTls> {
  const out = new Map<string, ListenerTls>();
  if (!listeners.some((l) => l.protocol === "HTTPS" || l.protocol === "TLS")) return out;
  const byListener = new Map<string, ListenerCertificate[]>();
  const rows = tx
    .select({ link: schema.listenerCertificates, cert: schema.certificates })
    .from(schema.listenerCertificates)
    .innerJoin(schema.certificates, eq(schema.listenerCertificates.certificateArn, schema.certificates.arn))
    .all();
  for (const { link, cert } of rows) {
    const list = byListener.get(link.listenerArn) ?? [];
    list.push(listenerCertificate(cert, link.isDefault));
    byListener.set(link.listenerArn, list);
  }
  for (const listener of listeners) {
    if (listener.protocol !== "HTTPS" && listener.protocol !== "TLS") continue;
    let certificates = byListener.get(listener.arn) ?? [];
    if (certificates.length === 0) certificates = legacyDefault(tx, listener);
    const policyName = listener.sslPolicy ?? defaultSslPolicyName;
    const policy = findSslPolicy(policyName);
    if (!policy)
      out.set(listener.arn, {
        problem: `Listener on port ${listener.port}: unknown SslPolicy ${policyName}`,
      });
    else if (!certificates.some((c) => c.isDefault))
      out.set(listener.arn, {
        problem: `Listener on port ${listener.port} has no default certificate in the certificate store`,
      });
    else out.set(listener.arn, { problem: null, policy, certificates });
  }
  return out;
}

function listenerCertificate(
  cert: typeof schema.certificates.$inferSelect,
  isDefault: boolean,
): ListenerCertificate {
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

function legacyDefault(tx: Db | Tx, listener: ListenerRow): ListenerCertificate[] {
  const arn = listener.certificates?.[0]?.certificateArn;
  if (arn === undefined) return [];
  const cert = tx.select().from(schema.certificates).where(eq(schema.certificates.arn, arn)).get();
  return cert ? [listenerCertificate(cert, true)] : [];
}
