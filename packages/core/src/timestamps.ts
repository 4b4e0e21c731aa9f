/**
 * The instants a request may name: from the Unix epoch to 9999-12-31T23:59:59.999Z, the last instant a
 * four-digit ISO 8601 year writes. Date reaches further (year ±275760), but an instant past 9999 has an
 * ISO string the SDKs cannot read back, and one past Date's range throws RangeError in toISOString.
 */
export const maxTimestampMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function timestampInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= maxTimestampMs;
}
