import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/*
 * IMDSv2 session tokens. A token is bound to one instance and carries its own expiry, sealed with an
 * HMAC of a secret the metadata service keeps: nothing is stored per token, so a flood of PUTs costs no
 * memory, and a token read from one instance's service is refused by every other instance's (the port
 * names the instance, as the link-local address does on EC2).
 */

/** PUT /latest/api/token asks for a token with this header; the answer repeats it. */
export const tokenTtlHeader = "x-aws-ec2-metadata-token-ttl-seconds";
/** GET requests carry the token in this header. */
export const tokenHeader = "x-aws-ec2-metadata-token";
/** AWS's range for a token's lifetime: one second to six hours. */
export const maxTokenTtlSeconds = 21_600;

const expiryBytes = 8;
const nonceBytes = 8;
const macBytes = 26;
const tokenBytes = expiryBytes + nonceBytes + macBytes;

/** The TTL a token request asks for, or undefined when it is missing or outside 1..21600 (AWS's 400). */
export function parseTokenTtl(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || !/^[0-9]{1,5}$/.test(value.trim())) return undefined;
  const seconds = Number(value.trim());
  return seconds >= 1 && seconds <= maxTokenTtlSeconds ? seconds : undefined;
}

function mac(secret: Uint8Array, instanceId: string, payload: Uint8Array): Buffer {
  return createHmac("sha256", secret)
    .update(instanceId, "utf8")
    .update(payload)
    .digest()
    .subarray(0, macBytes);
}

/** A token for `instanceId` valid until `now + ttlSeconds` (56 base64 characters, as AWS's are). */
export function issueMetadataToken(
  secret: Uint8Array,
  instanceId: string,
  now: number,
  ttlSeconds: number,
  nonce: Uint8Array = randomBytes(nonceBytes),
): string {
  const payload = Buffer.alloc(expiryBytes + nonceBytes);
  payload.writeBigUInt64BE(BigInt(now + ttlSeconds * 1000), 0);
  Buffer.from(nonce).copy(payload, expiryBytes, 0, nonceBytes);
  return Buffer.concat([payload, mac(secret, instanceId, payload)]).toString("base64");
}

/** Whether `token` was issued for `instanceId` with this secret and has not expired at `now`. */
export function verifyMetadataToken(
  secret: Uint8Array,
  token: string | string[] | undefined,
  instanceId: string,
  now: number,
): boolean {
  if (typeof token !== "string" || token.length > 128 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return false;
  const bytes = Buffer.from(token, "base64");
  if (bytes.length !== tokenBytes) return false;
  const payload = bytes.subarray(0, expiryBytes + nonceBytes);
  if (!timingSafeEqual(bytes.subarray(expiryBytes + nonceBytes), mac(secret, instanceId, payload))) {
    return false;
  }
  return Number(payload.readBigUInt64BE(0)) > now;
}
