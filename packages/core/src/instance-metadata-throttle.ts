/*
 * Per-instance throttling of metadata requests: a token bucket, as EC2 throttles its instance-metadata
 * service per instance. One instance in a tight loop then costs the worker a bounded share of its time.
 */

export interface RequestBucket {
  tokens: number;
  /** Unix milliseconds of the last refill. */
  at: number;
}

export interface ThrottleLimits {
  /** Requests per second sustained. */
  ratePerSecond: number;
  /** Requests allowed at once after a quiet spell. */
  burst: number;
}

export const defaultThrottleLimits: ThrottleLimits = { ratePerSecond: 200, burst: 400 };

/** Takes one request's token: the bucket after it, and whether the request may go (else 429). */
export function takeRequestToken(
  bucket: RequestBucket | undefined,
  now: number,
  limits: ThrottleLimits = defaultThrottleLimits,
): { bucket: RequestBucket; allowed: boolean } {
  const previous = bucket ?? { tokens: limits.burst, at: now };
  const elapsed = Math.max(0, now - previous.at);
  const tokens = Math.min(limits.burst, previous.tokens + (elapsed / 1000) * limits.ratePerSecond);
  if (tokens < 1) return { bucket: { tokens, at: now }, allowed: false };
  return { bucket: { tokens: tokens - 1, at: now }, allowed: true };
}
