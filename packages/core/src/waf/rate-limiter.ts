/*
 * Rate-based rules' counters: requests per aggregation key over a sliding window, in bounded memory.
 *
 * The window is cut into `slices` (10) buckets; a key's count is the sum of the buckets still inside the
 * window, so it slides in steps of a tenth of the window (a block lifts at most window/10 late).
 *
 * Bound: at most `capacity` keys per rule (50,000 by default; about 290 bytes each measured, so ~14 MB for a rule
 * under a flood of distinct keys). A Map keeps keys in the order they were last seen (a hit moves its key
 * to the end). When a new key would exceed the capacity, the least recently seen key whose count is below
 * the limit (looking at the 16 oldest) is evicted, else the oldest of all: a flood of a million distinct
 * keys churns through the map without growing it, while keys over the limit (the ones being blocked) stay.
 * A forgotten key under the limit that comes back starts from zero: it was, by construction, the quietest.
 */

const slices = 10;
const evictionScan = 16;
export const defaultRateCapacity = 50_000;

class KeyCounts {
  /** The slice index of the last hit. */
  last = 0;
  total = 0;
  // A plain array of small integers (SMIs): half the bytes of a Uint32Array, whose object alone is larger.
  readonly buckets: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** At most this many keys a second go into a worker's report to its owner (rate-sharing.ts). */
export const reportedKeysPerSecond = 2_000;

export class RateLimiter {
  private readonly keys = new Map<string, KeyCounts>();
  private readonly sliceMs: number;
  /** Counts since the last `takeDeltas()`, when this process reports them to another (a proxy worker). */
  private deltas: Map<string, number> | undefined;
  /** Keys another process (the proxy's owner, summing every worker) found over the limit. */
  private shared: ReadonlySet<string> = new Set();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly capacity = defaultRateCapacity,
    /** The limiter's identity across snapshots and processes. */
    readonly id = "",
  ) {
    this.sliceMs = Math.max(1, windowMs / slices);
  }

  /** Starts keeping per-key counts for `takeDeltas()`. */
  reportDeltas(): void {
    this.deltas ??= new Map();
  }

  /** The counts since the last call (at most reportedKeysPerSecond keys), and a fresh start. */
  takeDeltas(): Array<[string, number]> {
    const deltas = this.deltas;
    if (!deltas || deltas.size === 0) return [];
    this.deltas = new Map();
    return [...deltas];
  }

  /** Another process's counts (`takeDeltas()`), added at `now`. */
  add(key: string, count: number, now: number): void {
    const slice = Math.floor(now / this.sliceMs);
    let counts = this.keys.get(key);
    if (counts) this.keys.delete(key);
    else {
      if (this.keys.size >= this.capacity) this.evict(slice);
      counts = new KeyCounts();
      counts.last = slice;
    }
    this.keys.set(key, counts);
    roll(counts, slice);
    (counts.buckets[slice % slices] as number) += count;
    counts.total += count;
  }

  /** The keys over the limit by every process's counts (the owner's answer), replacing the last set. */
  setShared(keys: readonly string[]): void {
    this.shared = new Set(keys);
  }

  /** Over the limit: by this process's own counts (`count`, as `hit` answered it) or by the shared verdict. */
  over(key: string, count: number): boolean {
    return count > this.limit || (this.shared.size > 0 && this.shared.has(key));
  }

  get size(): number {
    return this.keys.size;
  }

  /** Counts one request for `key` at `now` (ms); answers the key's count in the window, this one included. */
  hit(key: string, now: number): number {
    const slice = Math.floor(now / this.sliceMs);
    let counts = this.keys.get(key);
    if (counts) {
      this.keys.delete(key);
    } else {
      if (this.keys.size >= this.capacity) this.evict(slice);
      counts = new KeyCounts();
      counts.last = slice;
    }
    this.keys.set(key, counts);
    roll(counts, slice);
    (counts.buckets[slice % slices] as number)++;
    counts.total++;
    const deltas = this.deltas;
    if (deltas) {
      const seen = deltas.get(key);
      if (seen !== undefined) deltas.set(key, seen + 1);
      else if (deltas.size < reportedKeysPerSecond) deltas.set(key, 1);
    }
    return counts.total;
  }

  /** The key's count in the window at `now`, without counting. */
  count(key: string, now: number): number {
    const counts = this.keys.get(key);
    if (!counts) return 0;
    return currentTotal(counts, Math.floor(now / this.sliceMs));
  }

  /** Keys whose count is over the limit now (GetRateBasedStatementManagedKeys), at most `max`. */
  overLimit(now: number, max = 10_000): string[] {
    const slice = Math.floor(now / this.sliceMs);
    const keys: string[] = [];
    for (const [key, counts] of this.keys) {
      if (currentTotal(counts, slice) > this.limit) {
        keys.push(key);
        if (keys.length >= max) break;
      }
    }
    return keys;
  }

  private evict(slice: number): void {
    let scanned = 0;
    let victim: string | undefined;
    for (const [key, counts] of this.keys) {
      victim ??= key;
      if (currentTotal(counts, slice) <= this.limit) {
        victim = key;
        break;
      }
      if (++scanned >= evictionScan) break;
    }
    if (victim !== undefined) this.keys.delete(victim);
  }
}

/** Moves a key's buckets forward to `slice`, emptying the slices that left the window. */
function roll(counts: KeyCounts, slice: number): void {
  const gap = slice - counts.last;
  if (gap <= 0) return;
  if (gap >= slices) {
    counts.buckets.fill(0);
    counts.total = 0;
  } else {
    for (let s = counts.last + 1; s <= slice; s++) {
      counts.total -= counts.buckets[s % slices] ?? 0;
      counts.buckets[s % slices] = 0;
    }
  }
  counts.last = slice;
}

function currentTotal(counts: KeyCounts, slice: number): number {
  const gap = slice - counts.last;
  if (gap <= 0) return counts.total;
  if (gap >= slices) return 0;
  let total = counts.total;
  for (let s = counts.last + 1; s <= slice; s++) total -= counts.buckets[s % slices] ?? 0;
  return total;
}

/**
 * The limiters of every rate-based rule, kept across snapshots: a configuration change must not reset a
 * flood's counts. A rule keeps its limiter while its web ACL, name, limit and window stay the same.
 */
export class RateLimiterStore {
  private limiters = new Map<string, RateLimiter>();
  private used = new Set<string>();
  /** A proxy worker's store: its limiters keep counts to report to the owner. */
  reporting = false;

  all(): IterableIterator<RateLimiter> {
    return this.limiters.values();
  }

  byId(id: string): RateLimiter | undefined {
    return this.limiters.get(id);
  }

  get(key: string, limit: number, windowMs: number): RateLimiter {
    const id = `${key}|${limit}|${windowMs}`;
    this.used.add(id);
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiter(limit, windowMs, defaultRateCapacity, id);
      if (this.reporting) limiter.reportDeltas();
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /** After compiling a snapshot: the limiters it did not ask for are dropped. */
  sweep(): void {
    for (const id of this.limiters.keys()) if (!this.used.has(id)) this.limiters.delete(id);
    this.used = new Set();
  }
}
