/**
 * Which of a listener's certificates answer a TLS handshake, by ALB's rules
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html):
 * the certificates whose names match the client's server name, exactly or by a wildcard covering one
 * label; when none does, or without SNI, the listener's default certificate. Of those that match, the
 * best of each key type goes to OpenSSL, which serves ECDSA to a client that supports it and RSA
 * otherwise (ALB prefers ECDSA, then the larger key, then the later expiry). Within a key type an exact
 * name is preferred to a wildcard before key size, an order AWS does not document.
 */

export type CertificateKeyType = "RSA" | "EC";

export interface SelectableCertificate {
  arn: string;
  /** The domain name and the subject alternative names, as the certificate holds them. */
  names: readonly string[];
  /** ACM's KeyAlgorithm: RSA_2048, EC_prime256v1, EC_secp384r1, ... */
  keyAlgorithm: string;
  notAfter: number;
  isDefault: boolean;
}

export interface CertificateSelection<T> {
  /** The chosen certificates' ARNs in order: equal keys mean equal selections. */
  key: string;
  certificates: T[];
}

export interface CertificateSelector<T> {
  select(serverName: string | undefined): CertificateSelection<T>;
}

export function keyTypeOf(keyAlgorithm: string): CertificateKeyType {
  return keyAlgorithm.startsWith("EC") ? "EC" : "RSA";
}

/** RSA_2048 → 2048, EC_prime256v1 → 256, EC_secp384r1 → 384: the larger key is preferred. */
export function keyBitsOf(keyAlgorithm: string): number {
  if (keyAlgorithm === "EC_prime256v1") return 256;
  const digits = /(\d+)(?:r1)?$/.exec(keyAlgorithm);
  return digits ? Number(digits[1]) : 0;
}

/** A server name as compared: lower case, without a trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** `a.example.com` → `example.com`: what a wildcard `*.example.com` must name to cover it. */
function parentOf(name: string): string | undefined {
  const dot = name.indexOf(".");
  return dot > 0 ? name.slice(dot + 1) : undefined;
}

/** Larger key first, then the one valid longest. */
function better(a: SelectableCertificate, b: SelectableCertificate): boolean {
  const bits = keyBitsOf(a.keyAlgorithm) - keyBitsOf(b.keyAlgorithm);
  return bits !== 0 ? bits > 0 : a.notAfter > b.notAfter;
}

/** The best certificate of each key type among `tiers`, an earlier tier before any later one; ECDSA first. */
function bestPerKeyType<T extends SelectableCertificate>(tiers: ReadonlyArray<readonly T[]>): T[] {
  const best = new Map<CertificateKeyType, { cert: T; tier: number }>();
  tiers.forEach((tier, rank) => {
    for (const cert of tier) {
      const type = keyTypeOf(cert.keyAlgorithm);
      const current = best.get(type);
      if (!current || (current.tier === rank && better(cert, current.cert)))
        best.set(type, { cert, tier: rank });
    }
  });
  const out: T[] = [];
  const ec = best.get("EC");
  const rsa = best.get("RSA");
  if (ec) out.push(ec.cert);
  if (rsa) out.push(rsa.cert);
  return out;
}

const selectionOf = <T extends SelectableCertificate>(certificates: T[]): CertificateSelection<T> => ({
  key: certificates.map((c) => c.arn).join(" "),
  certificates,
});

/**
 * Indexes a listener's certificates by name once, so a handshake costs two map look-ups. A name that
 * matches exactly and by wildcard gets, for each key type, an exact certificate if one has that type and
 * the wildcard's otherwise: an ECDSA wildcard is served before an exact RSA certificate to a client that
 * supports ECDSA, as ALB's key-algorithm preference says.
 */
export function buildCertificateSelector<T extends SelectableCertificate>(
  certificates: readonly T[],
): CertificateSelector<T> {
  const exact = new Map<string, T[]>();
  const wildcard = new Map<string, T[]>();
  const add = (map: Map<string, T[]>, name: string, cert: T) => {
    const list = map.get(name) ?? [];
    if (!list.includes(cert)) list.push(cert);
    map.set(name, list);
  };
  for (const cert of certificates) {
    for (const raw of cert.names) {
      const name = canonicalName(raw);
      if (name.startsWith("*.")) add(wildcard, name.slice(2), cert);
      else add(exact, name, cert);
    }
  }
  const defaults = selectionOf(bestPerKeyType([certificates.filter((c) => c.isDefault)]));
  return {
    select(serverName) {
      if (serverName === undefined || serverName === "") return defaults;
      const name = canonicalName(serverName);
      const exactMatches = exact.get(name) ?? [];
      const parent = parentOf(name);
      const wildcardMatches = parent === undefined ? [] : (wildcard.get(parent) ?? []);
      if (exactMatches.length === 0 && wildcardMatches.length === 0) return defaults;
      return selectionOf(bestPerKeyType([exactMatches, wildcardMatches]));
    },
  };
}
