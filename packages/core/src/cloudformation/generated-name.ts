import { createHash, randomBytes } from "node:crypto";

const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * Twelve characters of CloudFormation's suffix alphabet: random, or derived from `seed` so that a
 * resumed create (same seed) comes to the same name and can find what the interrupted call made.
 */
function suffixOf(seed: string | undefined): string {
  const bytes =
    seed === undefined ? randomBytes(12) : createHash("sha256").update(seed).digest().subarray(0, 12);
  let suffix = "";
  for (const byte of bytes) suffix += suffixAlphabet[byte % suffixAlphabet.length];
  return suffix;
}

/**
 * The name CloudFormation gives a resource without one: `<stack>-<logical id>-<12 characters>`, the first
 * two cut so the whole fits `max` characters (32 for ELB names), with only the characters a name may hold.
 */
export function generatedName(stackName: string, logicalId: string, max: number, seed?: string): string {
  const suffix = suffixOf(seed);
  const room = Math.max(2, max - suffix.length - 2);
  const clean = (text: string) => text.replace(/[^A-Za-z0-9-]/g, "").replace(/^-+|-+$/g, "");
  const stack = clean(stackName).slice(0, Math.ceil(room / 2));
  const logical = clean(logicalId).slice(0, room - stack.length);
  return `${stack}-${logical}-${suffix}`.slice(0, max).replace(/-+$/, "");
}

/** `digits` hex digits derived from `seed`: ids that come out the same for the same resource. */
export function seededHex(seed: string, digits: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, digits);
}
