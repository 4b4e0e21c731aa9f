/**
 * Where one entry sits in its InflightList, kept by whoever added it to remove it: only the list reads or
 * changes its fields. Removing it again, or from another list, does nothing.
 */
export class InflightLink<T = unknown> {
  prev: InflightLink<T> | undefined = undefined;
  next: InflightLink<T> | undefined = undefined;

  constructor(
    public item: T | undefined,
    public list: InflightList<T> | undefined,
  ) {}
}

/**
 * What is in flight on one target (forwarded requests, tunnels, layer-4 flows), so that its
 * deregistration delay can cut them off: a doubly linked list whose removed links keep no references.
 *
 * Not a Set: with a target's Set taking one add and one delete per request, about a quarter of all a
 * request allocates outlived two young-generation collections and was promoted, left for full ones
 * (bench/proxy, c50, one worker: 365 KB promoted per scavenge with the Set, none without it, and 16-19 %
 * less CPU a request; docs/notes/perf.md). What the measurements point to: V8 rebuilds such a table as
 * deletions pile up, and the table it replaces, by then in the old generation, still points at the
 * entries it held; a young-generation collection takes every old-to-young pointer as a root, so those
 * requests (and all they reference) survived. A link here is emptied as it is removed.
 */
export class InflightList<T> {
  private first: InflightLink<T> | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): InflightLink<T> {
    const link = new InflightLink<T>(item, this);
    const first = this.first;
    link.next = first;
    if (first) first.prev = link;
    this.first = link;
    this.count++;
    return link;
  }

  remove(link: InflightLink<T> | undefined): void {
    if (!link || link.list !== this) return;
    const { prev, next } = link;
    if (prev) prev.next = next;
    else this.first = next;
    if (next) next.prev = prev;
    link.prev = undefined;
    link.next = undefined;
    link.item = undefined;
    link.list = undefined;
    this.count--;
  }

  /** A copy of the entries, newest first: safe to act on while acting removes them. */
  items(): T[] {
    const items: T[] = [];
    for (let link = this.first; link; link = link.next) items.push(link.item as T);
    return items;
  }
}
