import { isIPv4, isIPv6 } from "node:net";
import { invalidParameter } from "./errors.ts";
import { arr, str } from "./read.ts";

/*
 * An IP set's addresses: CIDR blocks of the set's version, IPv4 /1 to /32 and IPv6 /1 to /128 (WAF
 * refuses /0 and a bare address). They are normalised as WAF answers them: IPv6 in its canonical
 * compressed lowercase form, duplicates once, so the data plane and GetIPSet see one spelling.
 */

export type IpAddressVersion = "IPV4" | "IPV6";

/** WAF's quota: 10,000 addresses an IP set. */
export const maxIpSetAddresses = 10_000;

const formatting = "The parameter contains formatting that is not valid.";

function canonicalV6(address: string): string {
  // The URL parser writes an IPv6 host in RFC 5952 form (compressed, lowercase).
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function normaliseCidr(cidr: string, version: IpAddressVersion): string {
  const slash = cidr.indexOf("/");
  if (slash === -1) throw invalidParameter("IP_ADDRESS", cidr, formatting);
  const address = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) throw invalidParameter("IP_ADDRESS", cidr, formatting);
  const prefix = Number(prefixText);
  if (version === "IPV4") {
    if (!isIPv4(address) || prefix < 1 || prefix > 32) throw invalidParameter("IP_ADDRESS", cidr, formatting);
    return `${address}/${prefix}`;
  }
  // An IPv6 address with an embedded IPv4 tail or a zone is not a CIDR block WAF takes.
  if (!isIPv6(address) || address.includes("%") || prefix < 1 || prefix > 128)
    throw invalidParameter("IP_ADDRESS", cidr, formatting);
  return `${canonicalV6(address)}/${prefix}`;
}

export function readIpAddressVersion(value: unknown, path = "IPAddressVersion"): IpAddressVersion {
  return str<IpAddressVersion>(value, path, { enum: ["IPV4", "IPV6"] });
}

export function readAddresses(value: unknown, version: IpAddressVersion, path = "addresses"): string[] {
  const list = arr(value, path, { max: maxIpSetAddresses });
  const normalised = list.map((item, i) =>
    normaliseCidr(str(item, `${path}.${i + 1}.member`, { min: 1, max: 50 }).trim(), version),
  );
  return [...new Set(normalised)];
}
