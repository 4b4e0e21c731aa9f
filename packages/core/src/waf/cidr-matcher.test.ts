import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CidrMatcher } from "./cidr-matcher.ts";
import { formatIp, parseIp } from "./ip-numbers.ts";

const has = (m: CidrMatcher, ip: string) => {
  const address = parseIp(ip);
  return address !== undefined && m.has(address);
};

describe("CIDR matcher", () => {
  it("matches IPv4 and IPv6 blocks, merged and searched", () => {
    const m = new CidrMatcher(["10.0.0.0/8", "192.0.2.44/32", "10.1.0.0/16", "2001:db8::/32", "nonsense"]);
    expect(has(m, "10.200.3.4")).toBe(true);
    expect(has(m, "192.0.2.44")).toBe(true);
    expect(has(m, "192.0.2.45")).toBe(false);
    expect(has(m, "11.0.0.0")).toBe(false);
    expect(has(m, "2001:db8:ffff::1")).toBe(true);
    expect(has(m, "2001:db9::1")).toBe(false);
    expect(has(m, "::ffff:10.0.0.1")).toBe(true);
    expect(has(new CidrMatcher(["0.0.0.0/0"]), "255.255.255.255")).toBe(true);
  });

  it("parses addresses as node:net does, and never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 50 })), (text) => {
        const parsed = parseIp(text);
        if (isIP(text) !== 0 && !text.includes("%")) expect(parsed).toBeDefined();
        if (isIP(text) === 0) expect(parsed).toBeUndefined();
        if (parsed) expect(typeof formatIp(parsed)).toBe("string");
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 45 }), { maxLength: 20 }),
        fc.string({ maxLength: 45 }),
        (blocks, ip) => {
          const m = new CidrMatcher(blocks);
          has(m, ip);
        },
      ),
    );
  });

  it("agrees with a linear scan of IPv4 blocks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })), { maxLength: 20 }),
        fc.ipV4(),
        (blocks, ip) => {
          const m = new CidrMatcher(blocks.map(([a, n]) => `${a}/${n}`));
          const value = (parseIp(ip) as { value: number }).value;
          const expected = blocks.some(([a, n]) => {
            const base = (parseIp(a) as { value: number }).value;
            const size = 2 ** (32 - n);
            return Math.floor(base / size) === Math.floor(value / size);
          });
          expect(has(m, ip)).toBe(expected);
        },
      ),
    );
  });

  it("formats managed keys as WAF answers them", () => {
    expect(formatIp({ version: 4, value: (127 << 24) + 2 })).toBe("127.0.0.2/32");
    const v6 = parseIp("2001:db8::1");
    expect(v6 && formatIp(v6)).toBe("2001:db8::1/128");
  });
});
