/**
 * NLB's idle timeout for UDP flows (fixed at 120 s, as AWS documents it); fast mode shortens it to 5 s so
 * tests and demos see a flow expire without waiting two minutes.
 */
export const udpFlowIdleSeconds = (fast: boolean): number => (fast ? 5 : 120);

/** How many UDP flows one proxy process holds at once before it evicts the least recently used. */
export const defaultUdpFlowLimit = 10_000;

interface Entry<V> {
  value: V;
  lastSeen: number;
}

/**
 * A bounded table of flows keyed by their client address, in least-recently-used order (a Map keeps
 * insertion order; a touch re-inserts). The proxy holds a socket per flow, so the bound is what keeps a
 * flood of distinct sources from exhausting memory and file descriptors: a new flow past `capacity`
 * evicts the least recently used one, and idle flows expire oldest first, stopping at the first live one.
 * Pure: time is passed in; the caller closes what `add`, `expire` and `clear` hand back.
 */
export class FlowTable<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("a flow table holds at least one flow");
  }

  get size(): number {
    return this.entries.size;
  }

  /** The flow for `key`, marked as seen at `now` (it becomes the most recently used). */
  touch(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.lastSeen !== now) {
      entry.lastSeen = now;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  /** Without touching it. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Adds a new flow; answers the flows evicted to make room for it (least recently used first). */
  add(key: string, value: V, now: number): V[] {
    const evicted: V[] = [];
    const existing = this.entries.get(key);
    if (existing) {
      this.entries.delete(key);
      evicted.push(existing.value);
    }
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const entry = this.entries.get(oldest.value);
      this.entries.delete(oldest.value);
      if (entry) evicted.push(entry.value);
    }
    this.entries.set(key, { value, lastSeen: now });
    return evicted;
  }

  /** Removes `key` only if it still holds `value` (a flow closing after it was replaced leaves its successor). */
  delete(key: string, value: V): boolean {
    const entry = this.entries.get(key);
    if (!entry || entry.value !== value) return false;
    this.entries.delete(key);
    return true;
  }

  /** Removes and answers the flows not seen for `idleMs` or more. */
  expire(now: number, idleMs: number): V[] {
    const expired: V[] = [];
    for (const [key, entry] of this.entries) {
      // LRU order: the first flow seen recently enough means every later one was too.
      if (now - entry.lastSeen < idleMs) break;
      this.entries.delete(key);
      expired.push(entry.value);
    }
    return expired;
  }

  values(): IterableIterator<V> {
    const iterator = this.entries.values();
    return (function* () {
      for (const entry of iterator) yield entry.value;
    })();
  }

  /** Removes and answers every flow. */
  clear(): V[] {
    const all = [...this.values()];
    this.entries.clear();
    return all;
  }
}
