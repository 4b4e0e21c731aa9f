import type { TemplateValue } from "./value.ts";
import { isObject } from "./value.ts";

/** A resource as it stands after resolution: what a diff compares. */
export interface ResolvedResource {
  type: string;
  properties: Record<string, TemplateValue>;
  /** Resource attributes that affect an update without being properties (UpdatePolicy, Metadata...). */
  attributes?: Record<string, TemplateValue>;
}

export interface ResourceModification {
  logicalId: string;
  /** Top-level property names whose values differ (added, removed or changed). */
  properties: string[];
  /** Resource attributes that differ (DeletionPolicy, UpdatePolicy, Metadata...). */
  attributes: string[];
  /** CloudFormation refuses to change a resource's type in place; the executor reports it. */
  typeChanged: boolean;
}

export interface TemplateDiff {
  add: string[];
  modify: ResourceModification[];
  remove: string[];
}

/** Structural equality of template values, independent of object key order. */
export function sameValue(a: TemplateValue | undefined, b: TemplateValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
  if (isObject(a ?? null) && isObject(b ?? null) && a !== undefined && b !== undefined) {
    const left = a as Record<string, TemplateValue>;
    const right = b as Record<string, TemplateValue>;
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]))
    );
  }
  return false;
}

function changedKeys(a: Record<string, TemplateValue>, b: Record<string, TemplateValue>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter(
    (key) =>
      !sameValue(Object.hasOwn(a, key) ? a[key] : undefined, Object.hasOwn(b, key) ? b[key] : undefined),
  );
}

/**
 * What an update does to each logical id: resources only in `after` are added, only in `before` removed,
 * and in both with differing properties or attributes modified (with the properties that changed, so
 * the executor can decide per property between no interruption, interruption and replacement).
 */
export function diffResources(
  before: Readonly<Record<string, ResolvedResource>>,
  after: Readonly<Record<string, ResolvedResource>>,
): TemplateDiff {
  const add = Object.keys(after).filter((id) => !Object.hasOwn(before, id));
  const remove = Object.keys(before).filter((id) => !Object.hasOwn(after, id));
  const modify: ResourceModification[] = [];
  for (const [logicalId, next] of Object.entries(after)) {
    const previous = Object.hasOwn(before, logicalId) ? before[logicalId] : undefined;
    if (previous === undefined) continue;
    const properties = changedKeys(previous.properties, next.properties);
    const attributes = changedKeys(previous.attributes ?? {}, next.attributes ?? {});
    const typeChanged = previous.type !== next.type;
    if (properties.length > 0 || attributes.length > 0 || typeChanged)
      modify.push({ logicalId, properties, attributes, typeChanged });
  }
  return { add, modify, remove };
}
