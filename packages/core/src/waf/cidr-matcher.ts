import { type IpAddress, parseCidrBlock } from "./ip-numbers.ts";

interface Ranges<T> {
  starts: T[];
  ends: T[];
}

/**
 * An IP set compiled once per snapshot: its CIDR blocks as sorted, merged, disjoint ranges per family,
 * so a lookup is a binary search (log n comparisons), whatever the set's size (WAF allows 10,000).
 * Blocks that do not parse are skipped: the api validated them, and the data plane never throws.
 */
export class CidrMatcher {
  private readonly v4: Ranges<number>;
  private readonly v6: Ranges<bigint>;

  constructor(blocks: readonly string[]) {
    const v4: Array<[number, number]> = [];
    const v6: Array<[bigint, bigint]> = [];
    for (const block of blocks) {
      const range = parseCidrBlock(block);
      if (range?.version === 4) v4.push([range.start, range.end]);
      else if (range?.version === 6) v6.push([range.start, range.end]);
    }
    this.v4 = merge(v4, 1);
    this.v6 = merge(v6, 1n);
  }

  has(address: IpAddress): boolean {
    return address.version === 4 ? contains(this.v4, address.value) : contains(this.v6, address.value);
  }
}

function merge<T extends number | bigint>(ranges: Array<[T, T]>, one: T): Ranges<T> {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const starts: T[] = [];
  const ends: T[] = [];
  for (const [start, end] of ranges) {
    const last = ends.length - 1;
    const lastEnd = ends[last];
    // Overlapping or adjacent: one range.
    if (lastEnd !== undefined && start <= (lastEnd as number) + (one as number)) {
      if (end > lastEnd) ends[last] = end;
      continue;
    }
    starts.push(start);
    ends.push(end);
  }
  return { starts, ends };
}

function contains<T extends number | bigint>(ranges: Ranges<T>, value: T): boolean {
  let low = 0;
  let high = ranges.starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const start = ranges.starts[mid] as T;
    if (value < start) high = mid - 1;
    else if (value > (ranges.ends[mid] as T)) low = mid + 1;
    else return true;
  }
  return false;
}
