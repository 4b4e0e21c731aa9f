/** How a supervisor spaces the restarts of a process that keeps dying. */
export interface RestartBackoff {
  /** The delay before the first restart. */
  initialMs: number;
  /** Delays double up to this. */
  maxMs: number;
  /** A process that ran at least this long before dying counts as healthy: the next delay starts over. */
  stableMs: number;
}

export const defaultRestartBackoff: RestartBackoff = { initialMs: 250, maxMs: 10_000, stableMs: 60_000 };

/** What a supervisor remembers about one process between its deaths. */
export interface RestartHistory {
  /** Deaths in a row, each after less than `stableMs` of running. */
  consecutive: number;
}

/**
 * The delay before restarting a process that died after running `uptimeMs`, and the history to keep.
 * A crash loop backs off exponentially so it neither spins the CPU nor floods the log; a process that
 * was stable for a while before dying is restarted promptly, as a first failure.
 */
export function nextRestart(
  history: RestartHistory,
  uptimeMs: number,
  policy: RestartBackoff = defaultRestartBackoff,
): { delayMs: number; history: RestartHistory } {
  const consecutive = uptimeMs >= policy.stableMs ? 0 : history.consecutive;
  // 2 ** 30 is far past any sane maxMs; the cap keeps the exponent from overflowing to Infinity.
  const delayMs = Math.min(policy.initialMs * 2 ** Math.min(consecutive, 30), policy.maxMs);
  return { delayMs, history: { consecutive: consecutive + 1 } };
}
