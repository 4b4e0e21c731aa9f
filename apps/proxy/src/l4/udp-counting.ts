/**
 * What a UDP flow counts into: the shape of l4/flow-counters.ts's FlowCounters (the TCP slice's), kept
 * as a small interface here so UDP flows count the same way into whichever counters the process holds.
 */
export interface UdpFlowCount {
  open(): void;
  close(): void;
  fromClient(bytes: number): void;
  fromTarget(bytes: number): void;
}

export interface UdpFlowCounting {
  count(key: { loadBalancer: string; targetGroup: string; target: string; protocol: "UDP" }): UdpFlowCount;
}

const ignored: UdpFlowCount = { open() {}, close() {}, fromClient() {}, fromTarget() {} };
export const noUdpCounting: UdpFlowCounting = { count: () => ignored };

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
