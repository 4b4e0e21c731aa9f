import { createHash } from "node:crypto";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
import {
  buildCertificateSelector,
  type CertificateSelector,
  type SslPolicy,
  tlsOptionsOf,
} from "@scaleout/core";
import type { ListenerCertificate } from "./listener-tls.ts";

/** The options of a context that serves `certificates` under `policy`. */
export function contextOptions(
  policy: SslPolicy,
  certificates: readonly ListenerCertificate[],
): SecureContextOptions {
  return {
    ...tlsOptionsOf(policy),
    // One certificate per key type: OpenSSL picks by the client's signature algorithms and ciphers.
    cert: certificates.map((c) =>
      c.chainPem ? `${c.certificatePem.trimEnd()}\n${c.chainPem}` : c.certificatePem,
    ),
    key: certificates.map((c) => c.privateKeyPem),
  };
}

/**
 * Built contexts by content (policy and PEM material), shared by every listener in the process. A reload
 * that changes nothing rebuilds nothing; a certificate rotated in place (new PEM under the same ARN) has
 * new content, so new connections get a new context while open ones keep the one they started with.
 */
export class SecureContextCache {
  private contexts = new Map<string, SecureContext>();
  private used = new Set<string>();
  /** Contexts built so far (for tests of the cache). */
  builds = 0;

  /** Throws what OpenSSL says when the material is unusable (a key that does not match, bad PEM). */
  get(policy: SslPolicy, certificates: readonly ListenerCertificate[]): SecureContext {
    const hash = createHash("sha256").update(policy.name);
    for (const c of certificates)
      hash.update(`\0${c.certificatePem}\0${c.chainPem ?? ""}\0${c.privateKeyPem}`);
    const key = hash.digest("base64");
    this.used.add(key);
    let context = this.contexts.get(key);
    if (!context) {
      context = createSecureContext(contextOptions(policy, certificates));
      this.builds++;
      this.contexts.set(key, context);
    }
    return context;
  }

  /** Forgets the contexts no `get` asked for since the last sweep (certificates rotated or removed). */
  sweep(): void {
    for (const key of this.contexts.keys()) if (!this.used.has(key)) this.contexts.delete(key);
    this.used = new Set();
  }
}

/**
 * One HTTPS listener's contexts: one per distinct certificate selection, all built when the
 * configuration arrives (so unusable material is found then, not at a client's handshake), then picked
 * per connection by the server name of its ClientHello. Each holds the best certificate of each key type
 * for its names, so OpenSSL serves ECDSA or RSA by what the client supports.
 */
export class ListenerContexts {
  private constructor(
    private readonly selector: CertificateSelector<ListenerCertificate>,
    private readonly bySelection: Map<string, SecureContext>,
    private readonly fallback: SecureContext,
  ) {}

  static build(
    cache: SecureContextCache,
    policy: SslPolicy,
    certificates: readonly ListenerCertificate[],
  ): ListenerContexts {
    const selector = buildCertificateSelector(certificates);
    const bySelection = new Map<string, SecureContext>();
    const defaults = selector.select(undefined);
    const fallback = cache.get(policy, defaults.certificates);
    bySelection.set(defaults.key, fallback);
    for (const c of certificates) {
      for (const name of c.names) {
        const selection = selector.select(name);
        if (!bySelection.has(selection.key))
          bySelection.set(selection.key, cache.get(policy, selection.certificates));
      }
    }
    return new ListenerContexts(selector, bySelection, fallback);
  }

  /**
   * The one context every connection gets when all names select the same certificates (a listener with
   * only its default certificate, the common case): its ClientHello need not be read first.
   */
  get only(): SecureContext | undefined {
    return this.bySelection.size === 1 ? this.fallback : undefined;
  }

  /** The context for a connection whose ClientHello named `serverName` (undefined: no SNI). */
  contextFor(serverName: string | undefined): SecureContext {
    return this.bySelection.get(this.selector.select(serverName).key) ?? this.fallback;
  }
}
