import { isIPv6 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeProxyV2,
  encodeProxyV2,
  formatIpv6,
  ipv6Bytes,
  type ProxyV2Header,
  proxyV2Signature,
} from "./proxy-protocol.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const port = fc.integer({ min: 0, max: 65535 });
const ipv4 = fc.ipV4();
/** IPv6 in its canonical text: what the decoder writes. */
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6);
const tlv = fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) });
const header: fc.Arbitrary<ProxyV2Header> = fc.oneof(
  fc.record({
    command: fc.constant("PROXY" as const),
    transport: fc.constantFrom("STREAM" as const, "DGRAM" as const),
    addresses: fc.oneof(
      fc.record({
        source: fc.record({ address: ipv4, port }),
        destination: fc.record({ address: ipv4, port }),
      }),
      fc.record({
        source: fc.record({ address: ipv6, port }),
        destination: fc.record({ address: ipv6, port }),
      }),
    ),
    tlvs: fc.array(tlv, { maxLength: 4 }),
  }),
  fc.record({
    command: fc.constant("LOCAL" as const),
    transport: fc.constantFrom("STREAM" as const, "UNSPEC" as const),
    addresses: fc.constant(null),
    tlvs: fc.array(tlv, { maxLength: 2 }),
  }),
);

describe("PROXY protocol v2", () => {
  it("encodes a TCP over IPv4 flow as the specification's bytes", () => {
    const bytes = encodeProxyV2({
      command: "PROXY",
      transport: "STREAM",
      addresses: {
        source: { address: "192.0.2.10", port: 51000 },
        destination: { address: "127.0.0.1", port: 443 },
      },
      tlvs: [],
    });
    expect(hex(bytes)).toBe(`${hex(proxyV2Signature)}2111000cc000020a7f000001c73801bb`);
  });

  it("sends IPv6 when either side is IPv6, the IPv4 side mapped", () => {
    const bytes = encodeProxyV2({
      command: "PROXY",
      transport: "STREAM",
      addresses: {
        source: { address: "10.1.2.3", port: 1 },
        destination: { address: "::1", port: 2 },
      },
      tlvs: [],
    });
    expect(bytes[13]).toBe(0x21);
    const decoded = decodeProxyV2(bytes);
    expect(decoded.kind === "header" && decoded.header.addresses).toEqual({
      source: { address: "::ffff:10.1.2.3", port: 1 },
      destination: { address: "::1", port: 2 },
    });
  });

  it("decode(encode(x)) = x, and the stream after the header is left alone", () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 20 }), (h, after) => {
        const encoded = encodeProxyV2(h);
        const decoded = decodeProxyV2(Uint8Array.from([...encoded, ...after]));
        expect(decoded).toEqual({ kind: "header", header: h, length: encoded.length });
      }),
    );
  });

  it("every strict prefix of a header asks for more", () => {
    fc.assert(
      fc.property(header, fc.nat(), (h, cut) => {
        const encoded = encodeProxyV2(h);
        expect(decodeProxyV2(encoded.subarray(0, cut % encoded.length)).kind).toBe("more");
      }),
    );
  });

  it("garbage never throws out of the decoder", () => {
    const signed = fc
      .uint8Array({ maxLength: 80 })
      .map((tail) => Uint8Array.from([...proxyV2Signature, ...tail]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), signed), (bytes) => {
        const decoded = decodeProxyV2(bytes);
        expect(["more", "invalid", "header"]).toContain(decoded.kind);
        if (decoded.kind === "header") expect(decoded.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses what is not version 2, or claims more addresses than it carries", () => {
    const bad = Uint8Array.from([...proxyV2Signature, 0x11, 0x11, 0x00, 0x0c, ...new Array(12).fill(0)]);
    expect(decodeProxyV2(bad)).toEqual({ kind: "invalid", reason: "not version 2" });
    const short = Uint8Array.from([...proxyV2Signature, 0x21, 0x21, 0x00, 0x04, 0, 0, 0, 0]);
    expect(decodeProxyV2(short).kind).toBe("invalid");
    expect(decodeProxyV2(Buffer.from("GET / HTTP/1.1\r\n")).kind).toBe("invalid");
  });

  it("IPv6 text round-trips through bytes in RFC 5952 form", () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const text = formatIpv6(ipv6Bytes(address));
        expect(isIPv6(text)).toBe(true);
        expect(hex(ipv6Bytes(text))).toBe(hex(ipv6Bytes(address)));
      }),
    );
    expect(formatIpv6(ipv6Bytes("2001:DB8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(formatIpv6(ipv6Bytes("::"))).toBe("::");
  });
});
