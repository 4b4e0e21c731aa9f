import { isIP } from "node:net";
import { templateError } from "./value.ts";

function parseAddress(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split(".").reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  // Expand `::` into the zero groups it stands for, then read eight 16-bit groups.
  const [head = "", tail] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill("0"), ...tailGroups];
  return groups.reduce((n, group) => (n << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  // RFC 5952: the longest run (two or more) of zero groups becomes `::`.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start === -1) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/**
 * Fn::Cidr: `count` consecutive blocks of 2^cidrBits addresses each, carved from the start of `ipBlock`
 * (cidrBits is the host part: 8 in an IPv4 block gives /24s). IPv4 and IPv6, as CloudFormation does.
 */
export function cidrBlocks(ipBlock: string, count: number, cidrBits: number): string[] {
  const [address = "", prefixText = ""] = ipBlock.split("/");
  const family = isIP(address);
  const prefix = Number(prefixText);
  if ((family !== 4 && family !== 6) || !/^\d{1,3}$/.test(prefixText))
    throw templateError(`Fn::Cidr: '${ipBlock}' is not a valid CIDR block`);
  const width = family === 4 ? 32 : 128;
  if (prefix > width) throw templateError(`Fn::Cidr: '${ipBlock}' is not a valid CIDR block`);
  if (!Number.isInteger(count) || count < 1 || count > 256)
    throw templateError("Fn::Cidr: count must be an integer between 1 and 256");
  if (!Number.isInteger(cidrBits) || cidrBits < 1 || cidrBits > width - prefix)
    throw templateError(
      `Fn::Cidr: cidrBits must be an integer between 1 and ${width - prefix} for ${ipBlock}`,
    );
  const subnetPrefix = width - cidrBits;
  const available = 2n ** BigInt(subnetPrefix - prefix);
  if (BigInt(count) > available)
    throw templateError(
      `Fn::Cidr: ${ipBlock} holds only ${available} blocks of /${subnetPrefix}, ${count} requested`,
    );
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  const network = parseAddress(address, family) & ~hostMask & ((1n << BigInt(width)) - 1n);
  const size = 1n << BigInt(cidrBits);
  return Array.from(
    { length: count },
    (_, i) => `${formatAddress(network + BigInt(i) * size, family)}/${subnetPrefix}`,
  );
}
