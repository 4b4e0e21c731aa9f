/**
 * Target selection: AWS's three algorithms (round_robin, least_outstanding_requests, weighted_random)
 * and scaleout's two extensions (ip_hash, least_response_time). Pure: the proxy owns the counters and
 * hands them in; `random` is injectable so tests are deterministic.
 */

export interface Candidate {
  key: string;
  /** 1 normally; below 1 while the target ramps up in slow start (linear from ~0 to 1). */
  weight: number;
  /** Requests sent and not yet answered. */
  outstanding: number;
  /** Peak-EWMA of response time in ms (least_response_time). */
  latency: number;
}

export type Random = () => number;

/**
 * Smooth weighted round robin (nginx's): each pick adds every candidate's weight to its running score
 * and takes the highest, so equal weights alternate strictly and a half-weight target gets every other
 * turn of its peers, without bursts.
 */
export class RoundRobin {
  private readonly scores = new Map<string, number>();
  private counter = 0;

  pick(candidates: readonly Candidate[]): Candidate | undefined {
    if (candidates.length <= 1) return candidates[0];
    let allEqual = true;
    const first = candidates[0]?.weight;
    for (const c of candidates) if (c.weight !== first) allEqual = false;
    if (allEqual) {
      // The common case needs no scores: a counter is exact and cheap.
      this.counter = (this.counter + 1) % 1_000_000_007;
      return candidates[this.counter % candidates.length];
    }
    let total = 0;
    let best: Candidate | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const c of candidates) {
      const score = (this.scores.get(c.key) ?? 0) + c.weight;
      this.scores.set(c.key, score);
      total += c.weight;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    if (best) this.scores.set(best.key, bestScore - total);
    if (this.scores.size > candidates.length * 2) this.prune(candidates);
    return best;
  }

  private prune(candidates: readonly Candidate[]): void {
    const live = new Set(candidates.map((c) => c.key));
    for (const key of this.scores.keys()) if (!live.has(key)) this.scores.delete(key);
  }
}

/** Fewest outstanding requests, relative to weight; ties go round robin so idle targets share. */
export function leastOutstanding(
  candidates: readonly Candidate[],
  tieBreaker: RoundRobin,
): Candidate | undefined {
  let best: Candidate[] = [];
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const load = (c.outstanding + 1) / Math.max(c.weight, 0.001);
    if (load < bestLoad) {
      bestLoad = load;
      best = [c];
    } else if (load === bestLoad) best.push(c);
  }
  return best.length <= 1 ? best[0] : tieBreaker.pick(best);
}

export function weightedRandom(
  candidates: readonly Candidate[],
  random: Random = Math.random,
): Candidate | undefined {
  let total = 0;
  for (const c of candidates) total += c.weight;
  let point = random() * total;
  for (const c of candidates) {
    point -= c.weight;
    if (point < 0) return c;
  }
  return candidates[candidates.length - 1];
}

/**
 * Peak-EWMA with the power of two choices (Finagle, Linkerd): sample two candidates, take the one whose
 * latency times load is lower. Cheap, and it avoids herding on one fast target.
 */
export function leastResponseTime(
  candidates: readonly Candidate[],
  random: Random = Math.random,
): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const i = Math.floor(random() * candidates.length);
  let j = Math.floor(random() * (candidates.length - 1));
  if (j >= i) j++;
  const a = candidates[i];
  const b = candidates[j];
  if (!a || !b) return a ?? b;
  const cost = (c: Candidate) => ((c.latency + 1) * (c.outstanding + 1)) / Math.max(c.weight, 0.001);
  return cost(a) <= cost(b) ? a : b;
}

/** Updates a peak-EWMA: a slower sample takes over at once, faster ones pull it down with time constant `tauMs`. */
export function peakEwma(previous: number, sample: number, elapsedMs: number, tauMs = 10_000): number {
  if (previous === 0 || sample > previous) return sample;
  const w = Math.exp(-Math.max(elapsedMs, 0) / tauMs);
  return previous * w + sample * (1 - w);
}

/** FNV-1a, 32 bit: a fast, well-spread hash for the ring. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32): FNV alone clusters on similar keys like "127.0.0.1:9001#3".
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Consistent hashing on the client address (ip_hash): each target owns `replicas` points on a ring, a
 * client goes to the first point after its hash. Adding one target to N moves about 1/(N+1) of the
 * clients, and only onto the new target.
 */
export class HashRing {
  private points: Uint32Array = new Uint32Array(0);
  private owners: string[] = [];
  private signature = "";

  constructor(private readonly replicas = 160) {}

  private rebuild(keys: readonly string[]): void {
    const entries: Array<[number, string]> = [];
    for (const key of keys) for (let r = 0; r < this.replicas; r++) entries.push([fnv1a(`${key}#${r}`), key]);
    entries.sort((a, b) => a[0] - b[0]);
    this.points = Uint32Array.from(entries.map((e) => e[0]));
    this.owners = entries.map((e) => e[1]);
  }

  pick(candidates: readonly Candidate[], clientKey: string): Candidate | undefined {
    if (candidates.length <= 1) return candidates[0];
    const keys = candidates.map((c) => c.key).sort();
    const signature = keys.join(",");
    if (signature !== this.signature) {
      this.rebuild(keys);
      this.signature = signature;
    }
    const hash = fnv1a(clientKey);
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.points[mid] ?? 0) < hash) low = mid + 1;
      else high = mid;
    }
    const owner = this.owners[low === this.points.length ? 0 : low];
    return candidates.find((c) => c.key === owner);
  }
}

/** Slow start: a newly healthy target's share rises linearly over the duration (AWS: "linearly increases"). */
export function slowStartWeight(healthySinceMs: number, nowMs: number, durationSeconds: number): number {
  if (durationSeconds <= 0) return 1;
  const elapsed = (nowMs - healthySinceMs) / (durationSeconds * 1000);
  if (elapsed >= 1) return 1;
  return Math.max(0.02, elapsed);
}
