/*
 * Which of several proxies runs the health checks. One proxy at a time holds a lease that the api grants
 * and the holder renews; it checks every target and reports the transitions, and every proxy routes on
 * the health the api passes on, so a target's health is one view, and one set of checks reaches it.
 * When the holder stops renewing (it died, its host left the network), the lease expires and the next
 * proxy to ask takes it over.
 */

export interface ProxyLease {
  holder: string;
  /** Unix ms; at or after it the lease is free. */
  expiresAt: number;
}

export interface LeaseDecision {
  lease: ProxyLease;
  /** Whether the claimant holds it now. */
  held: boolean;
}

/** Grants a free or expired lease to the claimant, renews the holder's, and leaves another's be. */
export function decideLease(
  current: ProxyLease | undefined,
  claimant: string,
  now: number,
  ttlMs: number,
): LeaseDecision {
  if (current === undefined || current.expiresAt <= now || current.holder === claimant)
    return { lease: { holder: claimant, expiresAt: now + ttlMs }, held: true };
  return { lease: current, held: false };
}

/** A holder that stops (a clean shutdown) gives the lease up, so the next proxy need not wait for expiry. */
export function releaseLease(current: ProxyLease | undefined, claimant: string): ProxyLease | undefined {
  return current?.holder === claimant ? undefined : current;
}

/** Whether `claimant` may write health at `now`: only the unexpired holder's reports count. */
export function holdsLease(current: ProxyLease | undefined, claimant: string, now: number): boolean {
  return current !== undefined && current.holder === claimant && current.expiresAt > now;
}

/**
 * How often a proxy asks: three times a lease, so one lost request does not lose the lease; a holder
 * whose renewal has not been answered for a whole lease stops checking on its own, before another can
 * take over (it holds until `expiresAt` by the api's clock, counted here from when it asked).
 */
export function leaseRenewalMs(ttlMs: number): number {
  return Math.max(50, Math.floor(ttlMs / 3));
}
