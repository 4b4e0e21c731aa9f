import { describe, expect, it } from "vitest";
import { cidrBlocks } from "./cidr.ts";

describe("Fn::Cidr", () => {
  // The examples of AWS's intrinsic-function-reference-cidr page.
  it("carves 6 /27s out of 192.168.0.0/24 (cidrBits 5)", () => {
    expect(cidrBlocks("192.168.0.0/24", 6, 5)).toEqual([
      "192.168.0.0/27",
      "192.168.0.32/27",
      "192.168.0.64/27",
      "192.168.0.96/27",
      "192.168.0.128/27",
      "192.168.0.160/27",
    ]);
  });
  it("carves /64s out of an IPv6 /56 (cidrBits 64)", () => {
    expect(cidrBlocks("2001:db8:1234:1a00::/56", 3, 64)).toEqual([
      "2001:db8:1234:1a00::/64",
      "2001:db8:1234:1a01::/64",
      "2001:db8:1234:1a02::/64",
    ]);
  });
  it("gives /24s from a VPC's /16 and starts at the network address", () => {
    expect(cidrBlocks("10.0.7.9/16", 2, 8)).toEqual(["10.0.0.0/24", "10.0.1.0/24"]);
  });
  it("refuses more blocks than fit, bad blocks, and bits out of range", () => {
    expect(() => cidrBlocks("10.0.0.0/24", 3, 7)).toThrow(/holds only 2/);
    expect(() => cidrBlocks("10.0.0.300/24", 1, 4)).toThrow(/not a valid CIDR/);
    expect(() => cidrBlocks("10.0.0.0/33", 1, 4)).toThrow(/not a valid CIDR/);
    expect(() => cidrBlocks("10.0.0.0/24", 1, 9)).toThrow(/cidrBits/);
    expect(() => cidrBlocks("10.0.0.0/24", 0, 4)).toThrow(/count/);
  });
});
