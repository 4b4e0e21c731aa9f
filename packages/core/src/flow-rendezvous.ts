import { fnv1a } from "./balancing.ts";

/** What NLB hashes to pin a flow: protocol, source ip and port, destination ip and port. */
export interface FiveTuple {
  protocol: "TCP" | "UDP" | "TLS";
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
}

/**
 * The key a flow is hashed on. With `stickiness.type=source_ip` the source port (and the protocol, so a
 * TCP_UDP client's TCP and UDP flows meet on one target) drop out: every flow of one client address goes
 * to the same target, as NLB's source IP affinity does.
 */
export function fiveTupleKey(tuple: FiveTuple, sourceIpStickiness = false): string {
  if (sourceIpStickiness) return `${tuple.sourceIp}|${tuple.destinationIp}|${tuple.destinationPort}`;
  return `${tuple.protocol}|${tuple.sourceIp}|${tuple.sourcePort}|${tuple.destinationIp}|${tuple.destinationPort}`;
}

/**
 * Picks a flow's target by rendezvous (highest random weight) hashing: each candidate scores
 * hash(flow, candidate) and the highest wins. The same flow over the same candidates always lands on the
 * same one, whichever process computes it (so processes sharing a port agree with no shared state), and
 * removing one candidate moves only the flows it had; adding one moves about 1/(N+1) of them, onto it.
 */
export function rendezvousPick<T extends { key: string }>(
  candidates: readonly T[],
  flowKey: string,
): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  let best: T | undefined;
  let bestScore = -1;
  for (const candidate of candidates) {
    const score = fnv1a(`${flowKey}#${candidate.key}`);
    // Ties (vanishingly rare) go to the smaller key, so the pick does not depend on the candidates' order.
    if (score > bestScore || (score === bestScore && best !== undefined && candidate.key < best.key)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
