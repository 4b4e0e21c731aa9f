/**
 * This process's UDP totals since it started: what the flow table did under pressure (evictions), what
 * expired, and what was dropped, for tests and the operator (never per datagram allocation).
 */
export class UdpStats {
  flowsOpened = 0;
  flowsExpired = 0;
  /** Flows closed to make room for a new one (the table was full). */
  flowsEvicted = 0;
  /** Flows closed because their target refused (ICMP port unreachable) or the socket failed. */
  flowsFailed = 0;
  /** Datagrams from a client with no target to go to, or beyond a connecting flow's small queue. */
  datagramsDropped = 0;
}
