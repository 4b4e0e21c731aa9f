/*
 * IP addresses and CIDR blocks as numbers, for IP sets and rate-based keys. Parsed by hand (no regex, no
 * exceptions): every input is a client's bytes or an API caller's string, and a bad one is simply not an
 * address (undefined).
 */

export type IpAddress = { version: 4; value: number } | { version: 6; value: bigint };

export function parseIpv4(text: string): number | undefined {
  if (text.length < 7 || text.length > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46;
    if (code === 46) {
      if (digits === 0 || part > 255) return undefined;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      continue;
    }
    if (code < 48 || code > 57 || digits === 3) return undefined;
    part = part * 10 + (code - 48);
    digits++;
  }
  return parts === 4 ? value : undefined;
}

/** RFC 4291 text forms: hex groups, one `::`, an IPv4 tail; no zone (`%eth0`). */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const double = text.indexOf("::");
  if (double !== -1 && text.indexOf("::", double + 1) !== -1) return undefined;
  const head = double === -1 ? text : text.slice(0, double);
  const tail = double === -1 ? "" : text.slice(double + 2);
  const headGroups = groupsOf(head, double === -1);
  const tailGroups = double === -1 ? [] : groupsOf(tail, true);
  if (!headGroups || !tailGroups) return undefined;
  const total = headGroups.length + tailGroups.length;
  if (double === -1 ? total !== 8 : total > 7) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - total).fill(0), ...tailGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

/** Colon-separated hex groups; an IPv4 tail (allowed last) counts as two groups. */
function groupsOf(text: string, ipv4Tail: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (ipv4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      continue;
    }
    if (part.length === 0 || part.length > 4) return undefined;
    let group = 0;
    for (let j = 0; j < part.length; j++) {
      const digit = hexDigit(part.charCodeAt(j));
      if (digit === -1) return undefined;
      group = group * 16 + digit;
    }
    groups.push(group);
  }
  return groups;
}

export function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** An address in either family; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is its IPv4 address, as WAF sees it. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: Number(v6 & 0xffffffffn) };
  return { version: 6, value: v6 };
}

/** `10.0.0.0/8`, `2001:db8::/32` as an inclusive range; undefined when not a CIDR block (WAF wants the /n). */
export function parseCidrBlock(
  text: string,
): { version: 4; start: number; end: number } | { version: 6; start: bigint; end: bigint } | undefined {
  const slash = text.indexOf("/");
  if (slash === -1) return undefined;
  const bitsText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const address = text.slice(0, slash);
  const v4 = parseIpv4(address);
  if (v4 !== undefined) {
    if (bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const start = v4 - (v4 % size);
    return { version: 4, start, end: start + size - 1 };
  }
  const v6 = address.includes(":") ? parseIpv6(address) : undefined;
  if (v6 === undefined || bits > 128) return undefined;
  const hostBits = BigInt(128 - bits);
  const start = (v6 >> hostBits) << hostBits;
  return { version: 6, start, end: start + (1n << hostBits) - 1n };
}

/** The text WAF answers for an address (GetRateBasedStatementManagedKeys): `1.2.3.4/32`, `2001:db8::1/128`. */
export function formatIp(address: IpAddress): string {
  if (address.version === 4) {
    const v = address.value;
    return `${Math.floor(v / 16777216)}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}/32`;
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n)
    groups.push(((address.value >> shift) & 0xffffn).toString(16));
  return `${groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}/128`;
}
