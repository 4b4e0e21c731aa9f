/**
 * Network Load Balancer target selection: a flow is pinned to one target by a hash of its 5-tuple
 * (source address and port, destination address and port, protocol), or of its source address alone
 * with `stickiness.type=source_ip`. Rendezvous hashing (highest random weight) over the candidates'
 * keys: the same flow and candidates always give the same target, and when a target joins or leaves,
 * only the flows that hash to it move (a modulo would reshuffle nearly all of them).
 */

export interface FlowTuple {
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  /** TCP, UDP, TLS (a TLS flow is TCP on the wire). */
  protocol: string;
}

export type FlowStickiness = "none" | "source_ip";

/** FNV-1a over a string's UTF-16 code units from a seed, 32 bits (balancing.ts's fnv1a with a seed). */
function fnvSeeded(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function mix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The flow's hash: the whole 5-tuple, or the source address only (source_ip stickiness). */
export function flowHash(tuple: FlowTuple, stickiness: FlowStickiness = "none"): number {
  if (stickiness === "source_ip") return mix(fnvSeeded(tuple.sourceIp));
  const protocol = tuple.protocol === "UDP" ? "UDP" : "TCP";
  return mix(
    fnvSeeded(
      `${tuple.sourceIp}|${tuple.sourcePort}|${tuple.destinationIp}|${tuple.destinationPort}|${protocol}`,
    ),
  );
}

/**
 * The candidate a flow of hash `hash` goes to (undefined when there is none): the highest score of
 * hash and key. Candidates are the targets that may take new flows (the caller's fail-open choice).
 */
export function pickByFlowHash<T extends { key: string }>(
  candidates: readonly T[],
  hash: number,
): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  let best: T | undefined;
  let bestScore = -1;
  for (const candidate of candidates) {
    const score = mix(fnvSeeded(candidate.key, hash ^ 0x811c9dc5));
    // Ties (rare) go to the smaller key, so the order the candidates come in never matters.
    if (score > bestScore || (score === bestScore && best !== undefined && candidate.key < best.key)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
