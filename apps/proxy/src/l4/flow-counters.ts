/** The protocol a flow is counted under: NLB publishes TCP, TLS and UDP flows as separate metrics. */
export type FlowProtocol = "TCP" | "TLS" | "UDP";

/** What a flow names when it opens: the dimension values its counts are published under. */
export interface FlowKey {
  /** `net/{name}/{id}`. */
  loadBalancer: string;
  /** `targetgroup/{name}/{id}`. */
  targetGroup: string;
  /** `id:port` within the group. */
  target: string;
  protocol: FlowProtocol;
}

/**
 * One target's flows under one protocol: a long-lived object a flow holds from open to close and bumps
 * directly (plain fields: a chunk of bytes costs two additions, no lookup). `active` is a gauge; every
 * other field counts since the last export.
 */
export class FlowCount {
  /** Flows open now (ActiveFlowCount). */
  active = 0;
  /** Flows opened since the last export (NewFlowCount). */
  opened = 0;
  closed = 0;
  /** Client → target, then target → client (ProcessedBytes is their sum). */
  bytesIn = 0;
  bytesOut = 0;
  /** Estimated from the bytes: userland sees reads, not segments (see `packetsOf`). */
  packetsIn = 0;
  packetsOut = 0;
  /** TCP_Client_Reset_Count: resets the client sent. */
  clientResets = 0;
  /** TCP_Target_Reset_Count: resets the target sent (a refused connection is one too). */
  targetResets = 0;
  /** TCP_ELB_Reset_Count: resets the load balancer sent (idle timeout, draining cut-off, no target). */
  elbResets = 0;
  /** ClientTLSNegotiationErrorCount / TargetTLSNegotiationErrorCount. */
  clientTlsErrors = 0;
  targetTlsErrors = 0;

  constructor(readonly key: FlowKey) {}

  open(): void {
    this.active++;
    this.opened++;
  }

  close(): void {
    if (this.active > 0) this.active--;
    this.closed++;
  }

  /** `bytes` moved from the client towards the target. */
  fromClient(bytes: number): void {
    this.bytesIn += bytes;
    this.packetsIn += packetsOf(bytes);
  }

  /** `bytes` moved from the target towards the client. */
  fromTarget(bytes: number): void {
    this.bytesOut += bytes;
    this.packetsOut += packetsOf(bytes);
  }

  /** Nothing moved since the last export and nothing is open: the entry can be forgotten. */
  get idle(): boolean {
    return (
      this.active === 0 &&
      this.opened === 0 &&
      this.closed === 0 &&
      this.bytesIn === 0 &&
      this.bytesOut === 0 &&
      this.clientResets === 0 &&
      this.targetResets === 0 &&
      this.elbResets === 0 &&
      this.clientTlsErrors === 0 &&
      this.targetTlsErrors === 0
    );
  }
}

/**
 * TCP segments of an Ethernet MSS (1460 bytes) that carry `bytes`: a read of 64 KiB was ~45 segments on
 * the wire. A UDP datagram is one packet whatever its size (its counter passes 1 instead).
 */
export const packetsOf = (bytes: number): number => (bytes <= 0 ? 0 : Math.ceil(bytes / 1460));

/**
 * One target's counts as plain data (what a worker sends its owner each second, JSON-safe):
 * [loadBalancer, targetGroup, target, protocol, active, opened, closed, bytesIn, bytesOut, packetsIn,
 * packetsOut, clientResets, targetResets, elbResets, clientTlsErrors, targetTlsErrors].
 */
export type FlowRecord = [
  loadBalancer: string,
  targetGroup: string,
  target: string,
  protocol: FlowProtocol,
  active: number,
  opened: number,
  closed: number,
  bytesIn: number,
  bytesOut: number,
  packetsIn: number,
  packetsOut: number,
  clientResets: number,
  targetResets: number,
  elbResets: number,
  clientTlsErrors: number,
  targetTlsErrors: number,
];

const keyOf = (k: FlowKey) => `${k.loadBalancer}\n${k.targetGroup}\n${k.target}\n${k.protocol}`;

/**
 * Every flow's counts in this process, per load balancer, target group, target and protocol. A flow asks
 * for its `FlowCount` once when it opens (`count`) and keeps it; `export()` hands over the second's
 * counts (with the active gauges) and zeroes them, forgetting entries with nothing open and nothing new.
 * Flows that fail before a target was chosen (a TLS handshake, no target at all) count under target "".
 */
export class FlowCounters {
  private readonly counts = new Map<string, FlowCount>();

  count(key: FlowKey): FlowCount {
    const k = keyOf(key);
    let count = this.counts.get(k);
    if (!count) {
      count = new FlowCount(key);
      this.counts.set(k, count);
    }
    return count;
  }

  /** The counts since the last export, and the flows open now; the counts start again from zero. */
  export(): FlowRecord[] {
    const records: FlowRecord[] = [];
    for (const [k, c] of this.counts) {
      if (c.idle) {
        // No flow holds it (none is open): a flow that opens later asks for a new one.
        this.counts.delete(k);
        continue;
      }
      const key = c.key;
      records.push([
        key.loadBalancer,
        key.targetGroup,
        key.target,
        key.protocol,
        c.active,
        c.opened,
        c.closed,
        c.bytesIn,
        c.bytesOut,
        c.packetsIn,
        c.packetsOut,
        c.clientResets,
        c.targetResets,
        c.elbResets,
        c.clientTlsErrors,
        c.targetTlsErrors,
      ]);
      c.opened = 0;
      c.closed = 0;
      c.bytesIn = 0;
      c.bytesOut = 0;
      c.packetsIn = 0;
      c.packetsOut = 0;
      c.clientResets = 0;
      c.targetResets = 0;
      c.elbResets = 0;
      c.clientTlsErrors = 0;
      c.targetTlsErrors = 0;
    }
    return records;
  }

  /**
   * Adds another process's export to this one's counts (the owner, for each worker's report). The
   * active gauge moves by what opened and closed there, not by the reported gauge: reports arrive at
   * their own pace, and a gauge taken from each would be counted once per report in a second.
   */
  absorb(records: readonly FlowRecord[]): void {
    for (const r of records) {
      const c = this.count({ loadBalancer: r[0], targetGroup: r[1], target: r[2], protocol: r[3] });
      c.active = Math.max(0, c.active + r[5] - r[6]);
      c.opened += r[5];
      c.closed += r[6];
      c.bytesIn += r[7];
      c.bytesOut += r[8];
      c.packetsIn += r[9];
      c.packetsOut += r[10];
      c.clientResets += r[11];
      c.targetResets += r[12];
      c.elbResets += r[13];
      c.clientTlsErrors += r[14];
      c.targetTlsErrors += r[15];
    }
  }
}
