import {
  decodeToken,
  encodeToken,
  invalidParameter,
  isAwsError,
  type Partition,
  type Tag,
  WafErrors,
  wafRead,
} from "@scaleout/core";
import type { Db, Tx } from "@scaleout/db";
import { readTags, writeTags } from "./tags.ts";

const { arr, obj, optNum, optStr, str } = wafRead;

/*
 * What the WAF services share: ARNs and ids as WAF writes them, its exceptions' standard messages, its
 * tags and its pagination (NextMarker, Limit 1-100).
 */

export type WafKind = "webacl" | "ipset";

/** `arn:aws:wafv2:<region>:<account>:regional/<kind>/<name>/<id>`, as WAF writes a REGIONAL ARN. */
export const wafArn = (p: Partition, kind: WafKind, name: string, id: string): string =>
  `arn:aws:wafv2:${p.region}:${p.accountId}:regional/${kind}/${name}/${id}`;

export function parseWafArn(arn: string): { kind: WafKind; name: string; id: string } | undefined {
  const match = /^arn:aws:wafv2:[^:]*:[^:]*:regional\/(webacl|ipset)\/([\w-]+)\/([0-9a-f-]{36})$/.exec(arn);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { kind: match[1] as WafKind, name: match[2], id: match[3] };
}

/** WAF's standard messages (the SDK's exception documentation words them so). */
export const wafMessages = {
  nonexistent: "AWS WAF couldn’t perform the operation because your resource doesn’t exist.",
  duplicate:
    "AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one.",
  optimisticLock:
    "AWS WAF couldn’t save your changes because you tried to update or delete a resource that has changed since you last retrieved it. Get the resource again, make any changes you need to make to the new copy, and retry your operation.",
  associated:
    "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.",
} as const;

export const nonexistent = () => new WafErrors.WAFNonexistentItemException(wafMessages.nonexistent);

/** A row found by Id must also carry the Name the caller gave, as WAF requires. */
export function checkLock(given: string, current: string): void {
  if (given !== current) throw new WafErrors.WAFOptimisticLockException(wafMessages.optimisticLock);
}

// ---- Tags ------------------------------------------------------------------------------------------------

const tagKeyRule = { min: 1, max: 128, pattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u };
const tagValueRule = { min: 0, max: 256, pattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u };

/** WAF's quota: 50 tags a resource. */
export const maxWafTags = 50;

export function readWafTags(value: unknown, path = "tags"): Tag[] {
  const list = arr(value, path, { min: 1 }).map((item, i) => {
    const at = `${path}.${i + 1}.member`;
    const tag = obj(item, at);
    return {
      key: str(tag.Key, `${at}.key`, tagKeyRule),
      value: str(tag.Value, `${at}.value`, tagValueRule),
    };
  });
  for (const tag of list)
    if (tag.key.startsWith("aws:"))
      throw invalidParameter("TAGS", tag.key, "Tag keys must not start with 'aws:'.");
  const keys = list.map((t) => t.key);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate !== undefined) throw invalidParameter("TAGS", duplicate, "Duplicate tag key.");
  return list;
}

export function readTagKeys(value: unknown, path = "tagKeys"): string[] {
  return arr(value, path, { min: 1 }).map((item, i) => str(item, `${path}.${i + 1}.member`, tagKeyRule));
}

/** Writes a resource's tags, keeping it within WAF's 50. */
export function writeWafTags(tx: Tx, arn: string, list: Tag[]): void {
  writeTags(tx, arn, list);
  const count = readTags(tx, [arn]).get(arn)?.length ?? 0;
  if (count > maxWafTags)
    throw new WafErrors.WAFLimitsExceededException(
      `AWS WAF couldn’t perform the operation because you exceeded your resource limit: at most ${maxWafTags} tags a resource.`,
    );
}

export const wafTagList = (db: Db | Tx, arn: string) =>
  (readTags(db, [arn]).get(arn) ?? []).map((t) => ({ Key: t.key, Value: t.value ?? "" }));

// ---- Pagination ------------------------------------------------------------------------------------------

export interface WafPage<T> {
  items: T[];
  NextMarker?: string;
}

/** WAF's Limit (1-100; 100 when absent) and opaque NextMarker over items sorted by `key`. */
export function wafPage<T>(
  items: readonly T[],
  key: (item: T) => string,
  input: { NextMarker?: unknown; Limit?: unknown },
): WafPage<T> {
  const limit = optNum(input.Limit, "limit", { min: 1, max: 100 }) ?? 100;
  const marker = optStr(input.NextMarker, "nextMarker", { min: 1, max: 256 });
  let after: string | undefined;
  try {
    after = decodeToken(marker);
  } catch (error) {
    if (!isAwsError(error)) throw error;
    throw invalidParameter("NEXT_MARKER", marker ?? "", "The NextMarker is not valid.");
  }
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => key(item) > after);
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return rest.length > limit && last !== undefined
    ? { items: page, NextMarker: encodeToken(key(last)) }
    : { items: page };
}
