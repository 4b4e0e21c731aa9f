import { isIPv4, isIPv6 } from "node:net";

/**
 * PROXY protocol version 2 (haproxy's proxy-protocol.txt, section 2.2): the binary header a Network Load
 * Balancer sends a target before a flow's first byte when `proxy_protocol_v2.enabled` is on, so the
 * target learns the client's address and port and the listener's. Encoder and a strict, bounded decoder
 * (for targets and tests); the decoder answers every input, never throws.
 */

/** `\r\n\r\n\0\r\nQUIT\n`: no valid HTTP, TLS or PROXY v1 stream starts this way. */
export const proxyV2Signature: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

/** Signature, version and command, family and transport, length. */
const fixedBytes = 16;
/** Addresses plus TLVs: the length field is 16 bits. */
const maxPayload = 0xffff;

export interface ProxyEndpoint {
  /** Dotted quad, or RFC 5952 text for IPv6 (`::ffff:a.b.c.d` for a mapped IPv4 address). */
  address: string;
  port: number;
}

export interface ProxyTlv {
  type: number;
  value: Uint8Array;
}

export interface ProxyV2Header {
  /** PROXY: a relayed connection; LOCAL: the sender's own (health checks), whose addresses are its own. */
  command: "PROXY" | "LOCAL";
  transport: "STREAM" | "DGRAM" | "UNSPEC";
  /** null for LOCAL, and for families without IP addresses (AF_UNSPEC, AF_UNIX). */
  addresses: { source: ProxyEndpoint; destination: ProxyEndpoint } | null;
  tlvs: ProxyTlv[];
}

export type ProxyV2Decoded =
  /** Too few bytes yet: read more and try again. */
  | { kind: "more" }
  | { kind: "invalid"; reason: string }
  /** `length`: the header's bytes; what follows is the relayed stream. */
  | { kind: "header"; header: ProxyV2Header; length: number };

/** The header for a relayed TCP (STREAM) or UDP (DGRAM) flow, before its first byte. */
export function encodeProxyV2(header: ProxyV2Header): Uint8Array {
  const addresses = header.addresses;
  let family = 0;
  let addressBytes: Uint8Array = new Uint8Array(0);
  if (header.command === "PROXY" && addresses) {
    const source = stripZone(addresses.source.address);
    const destination = stripZone(addresses.destination.address);
    const v4 = isIPv4(source) && isIPv4(destination);
    family = v4 ? 1 : 2;
    const width = v4 ? 4 : 16;
    addressBytes = new Uint8Array(width * 2 + 4);
    addressBytes.set(v4 ? ipv4Bytes(source) : ipv6Bytes(source), 0);
    addressBytes.set(v4 ? ipv4Bytes(destination) : ipv6Bytes(destination), width);
    writeU16(addressBytes, width * 2, addresses.source.port);
    writeU16(addressBytes, width * 2 + 2, addresses.destination.port);
  }
  let tlvLength = 0;
  for (const tlv of header.tlvs) tlvLength += 3 + tlv.value.length;
  const payload = addressBytes.length + tlvLength;
  if (payload > maxPayload) throw new RangeError("PROXY v2 header longer than 65535 bytes");
  const out = new Uint8Array(fixedBytes + payload);
  out.set(proxyV2Signature, 0);
  out[12] = header.command === "PROXY" ? 0x21 : 0x20;
  const transport = header.transport === "STREAM" ? 1 : header.transport === "DGRAM" ? 2 : 0;
  out[13] = (family << 4) | transport;
  writeU16(out, 14, payload);
  out.set(addressBytes, fixedBytes);
  let at = fixedBytes + addressBytes.length;
  for (const tlv of header.tlvs) {
    out[at] = tlv.type & 0xff;
    writeU16(out, at + 1, tlv.value.length);
    out.set(tlv.value, at + 3);
    at += 3 + tlv.value.length;
  }
  return out;
}

/** Reads a PROXY v2 header at the start of `bytes`. */
export function decodeProxyV2(bytes: Uint8Array): ProxyV2Decoded {
  const signatureSeen = Math.min(bytes.length, proxyV2Signature.length);
  for (let i = 0; i < signatureSeen; i++)
    if (bytes[i] !== proxyV2Signature[i]) return { kind: "invalid", reason: "no PROXY v2 signature" };
  if (bytes.length < fixedBytes) return { kind: "more" };
  const versionCommand = bytes[12] ?? 0;
  if (versionCommand >> 4 !== 2) return { kind: "invalid", reason: "not version 2" };
  const commandBits = versionCommand & 0x0f;
  if (commandBits > 1) return { kind: "invalid", reason: "unknown command" };
  const familyTransport = bytes[13] ?? 0;
  const family = familyTransport >> 4;
  const transportBits = familyTransport & 0x0f;
  if (family > 3 || transportBits > 2) return { kind: "invalid", reason: "unknown family or transport" };
  const payload = readU16(bytes, 14);
  if (bytes.length < fixedBytes + payload) return { kind: "more" };
  const command = commandBits === 1 ? "PROXY" : "LOCAL";
  const transport = transportBits === 1 ? "STREAM" : transportBits === 2 ? "DGRAM" : "UNSPEC";
  const addressLength = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (payload < addressLength) return { kind: "invalid", reason: "addresses longer than the header" };
  let addresses: ProxyV2Header["addresses"] = null;
  if (command === "PROXY" && (family === 1 || family === 2)) {
    const width = family === 1 ? 4 : 16;
    const at = fixedBytes;
    const text = (offset: number) =>
      family === 1 ? formatIpv4(bytes, offset) : formatIpv6(bytes.subarray(offset, offset + 16));
    addresses = {
      source: { address: text(at), port: readU16(bytes, at + width * 2) },
      destination: { address: text(at + width), port: readU16(bytes, at + width * 2 + 2) },
    };
  }
  const tlvs: ProxyTlv[] = [];
  let at = fixedBytes + addressLength;
  const end = fixedBytes + payload;
  while (at < end) {
    if (end - at < 3) return { kind: "invalid", reason: "truncated TLV" };
    const length = readU16(bytes, at + 1);
    if (at + 3 + length > end) return { kind: "invalid", reason: "TLV longer than the header" };
    tlvs.push({ type: bytes[at] ?? 0, value: bytes.slice(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return { kind: "header", header: { command, transport, addresses, tlvs }, length: end };
}

function writeU16(into: Uint8Array, at: number, value: number): void {
  into[at] = (value >> 8) & 0xff;
  into[at + 1] = value & 0xff;
}

const readU16 = (bytes: Uint8Array, at: number): number => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);

/** `fe80::1%eth0` → `fe80::1`: a zone is local to the sender. */
const stripZone = (address: string): string => {
  const percent = address.indexOf("%");
  return percent < 0 ? address : address.slice(0, percent);
};

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split(".").map(Number));
}

/** Any IPv6 text node:net accepts (`::`, an IPv4 tail), or an IPv4 address as `::ffff:a.b.c.d`. */
export function ipv6Bytes(address: string): Uint8Array {
  const out = new Uint8Array(16);
  if (isIPv4(address)) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(ipv4Bytes(address), 12);
    return out;
  }
  if (!isIPv6(address)) throw new TypeError(`not an IP address: ${address}`);
  let text = address;
  const groups: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  let v4Tail: Uint8Array | undefined;
  if (tail.includes(".")) {
    v4Tail = ipv4Bytes(tail);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = "", rest] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const before = parse(head);
  const after = rest === undefined ? [] : parse(rest);
  const zeros = 8 - before.length - after.length;
  groups.push(...before, ...new Array<number>(rest === undefined ? 0 : zeros).fill(0), ...after);
  for (const [i, g] of groups.entries()) writeU16(out, i * 2, g);
  if (v4Tail) out.set(v4Tail, 12);
  return out;
}

const formatIpv4 = (bytes: Uint8Array, at: number): string =>
  `${bytes[at] ?? 0}.${bytes[at + 1] ?? 0}.${bytes[at + 2] ?? 0}.${bytes[at + 3] ?? 0}`;

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(readU16(bytes, i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${formatIpv4(bytes, 12)}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
