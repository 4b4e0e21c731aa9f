import { AwsError, check, checkLength, type Tag } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";

const { tags } = schema;

export function checkTags(list: Tag[] | undefined): Tag[] {
  const given = list ?? [];
  check(Array.isArray(given) && given.length <= 50, "At most 50 tags can be given");
  for (const tag of given) {
    check(typeof tag?.key === "string", "Each tag needs a Key");
    checkLength("Tag key", tag.key, 1, 128);
    check(!tag.key.startsWith("aws:"), "Tag keys must not start with 'aws:'");
    if (tag.value !== undefined) checkLength("Tag value", tag.value, 0, 256);
  }
  return given;
}

export function checkNoDuplicateKeys(list: Tag[]): void {
  const keys = list.map((t) => t.key);
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate !== undefined)
    throw new AwsError("DuplicateTagKeys", 400, `A tag key was specified more than once: ${duplicate}`);
}

export function writeTags(tx: Tx, resourceArn: string, list: Tag[]): void {
  for (const tag of list) {
    tx.insert(tags)
      .values({ resourceArn, key: tag.key, value: tag.value ?? "" })
      .onConflictDoUpdate({ target: [tags.resourceArn, tags.key], set: { value: tag.value ?? "" } })
      .run();
  }
}

/** Removes the given keys of a resource's tags, or all of them. */
export function removeTags(tx: Tx, resourceArn: string, keys?: string[]): void {
  const where =
    keys === undefined
      ? eq(tags.resourceArn, resourceArn)
      : and(eq(tags.resourceArn, resourceArn), inArray(tags.key, keys));
  tx.delete(tags).where(where).run();
}

/**
 * PropagateAtLaunch has no column in the tags table: it is kept as a tag of its own under this key, so a
 * group's ordinary tags stay exactly what ELB-style readers expect. Absent means false, AWS's default.
 */
export const propagateKey = (groupArn: string) => `scaleout:propagate-at-launch:${groupArn}`;

/** A group's tags as CreateAutoScalingGroup gives them: each with its PropagateAtLaunch flag. */
export function writeGroupTags(
  tx: Tx,
  groupArn: string,
  list: Array<Tag & { propagateAtLaunch?: boolean }>,
): void {
  writeTags(tx, groupArn, list);
  writeTags(
    tx,
    propagateKey(groupArn),
    list.filter((t) => t.propagateAtLaunch).map((t) => ({ key: t.key, value: "true" })),
  );
}

/** A deleted group's tags and their flags, so a group re-created under the name starts without them. */
export function removeGroupTags(tx: Tx, groupArn: string): void {
  removeTags(tx, groupArn);
  removeTags(tx, propagateKey(groupArn));
}

export function readTags(db: Db | Tx, resourceArns: string[]): Map<string, Tag[]> {
  const result = new Map<string, Tag[]>(resourceArns.map((arn) => [arn, []]));
  if (resourceArns.length === 0) return result;
  for (const row of db.select().from(tags).where(inArray(tags.resourceArn, resourceArns)).all()) {
    result.get(row.resourceArn)?.push({ key: row.key, value: row.value });
  }
  return result;
}
