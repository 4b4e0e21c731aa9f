import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { WafError } from "./errors.ts";
import { normaliseCidr, readAddresses } from "./ip-addresses.ts";

describe("IP set addresses", () => {
  test("CIDR blocks of the set's version, IPv6 written canonically, duplicates once", () => {
    expect(readAddresses(["10.0.0.0/8", "127.0.0.2/32", "10.0.0.0/8"], "IPV4")).toEqual([
      "10.0.0.0/8",
      "127.0.0.2/32",
    ]);
    expect(readAddresses(["2001:DB8:0:0:0:0:0:1/128", "2001:db8::/32"], "IPV6")).toEqual([
      "2001:db8::1/128",
      "2001:db8::/32",
    ]);
  });

  test.each([
    ["10.0.0.1", "IPV4"],
    ["10.0.0.0/0", "IPV4"],
    ["10.0.0.0/33", "IPV4"],
    ["10.0.0.256/32", "IPV4"],
    ["2001:db8::/32", "IPV4"],
    ["10.0.0.0/8", "IPV6"],
    ["2001:db8::/129", "IPV6"],
    ["fe80::1%eth0/64", "IPV6"],
    ["10.0.0.0/ 8", "IPV4"],
    ["10.0.0.0/08x", "IPV4"],
  ] as const)("%s is refused for %s as WAF refuses it (IP_ADDRESS)", (cidr, version) => {
    try {
      normaliseCidr(cidr, version);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WafError);
      expect((error as WafError).details.Field).toBe("IP_ADDRESS");
    }
  });

  test("any string: normalised or refused with WAF's error, never a crash", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.ipV4().map((ip) => `${ip}/24`),
          fc.ipV6().map((ip) => `${ip}/64`),
        ),
        fc.constantFrom("IPV4" as const, "IPV6" as const),
        (cidr, version) => {
          try {
            const normal = normaliseCidr(cidr, version);
            expect(normaliseCidr(normal, version)).toBe(normal);
          } catch (error) {
            expect(error).toBeInstanceOf(WafError);
          }
        },
      ),
    );
  });
});
