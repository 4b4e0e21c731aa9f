import { check, Errors } from "./errors.ts";
import type { Attribute } from "./types.ts";

/** A recognised attribute: its default and a check of a proposed value. */
export interface AttributeSpec {
  default: string;
  validate: (value: string) => boolean;
  hint: string;
}

export const bool: Pick<AttributeSpec, "validate" | "hint"> = {
  validate: (v) => v === "true" || v === "false",
  hint: "true or false",
};

export function intRange(
  min: number,
  max: number,
  also: number[] = [],
): Pick<AttributeSpec, "validate" | "hint"> {
  return {
    validate: (v) => /^\d+$/.test(v) && ((Number(v) >= min && Number(v) <= max) || also.includes(Number(v))),
    hint: `an integer between ${min} and ${max}${also.length ? ` or ${also.join(", ")}` : ""}`,
  };
}

export function oneOf(...values: string[]): Pick<AttributeSpec, "validate" | "hint"> {
  return { validate: (v) => values.includes(v), hint: `one of ${values.join(", ")}` };
}

export const anyString: Pick<AttributeSpec, "validate" | "hint"> = {
  validate: (v) => v.length <= 1024,
  hint: "a string of at most 1024 characters",
};

export type AttributeSpecs = Record<string, AttributeSpec>;

export function defaultAttributes(specs: AttributeSpecs): Record<string, string> {
  return Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, spec.default]));
}

/**
 * Merges `changes` into `current` after checking every key and value: an unknown key or a bad value
 * rejects the whole request, as ModifyLoadBalancerAttributes does.
 */
export function mergeAttributes(
  kind: string,
  specs: AttributeSpecs,
  current: Record<string, string>,
  changes: Attribute[],
): Record<string, string> {
  check(changes.length > 0, "At least one attribute must be specified");
  check(changes.length <= 20, "At most 20 attributes can be modified at once");
  const next = { ...current };
  for (const { key, value } of changes) {
    // Own keys only: `__proto__` or `toString` must not find Object's members.
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    // AWS answers an unknown key with ValidationError ("... attribute key '...' is not recognized").
    if (!spec) throw new Errors.ValidationError(`${kind} attribute key '${key}' is not recognized`);
    check(spec.validate(String(value)), `${kind} attribute '${key}' must be ${spec.hint}, got '${value}'`);
    next[key] = String(value);
  }
  return next;
}

export function toAttributeList(attributes: Record<string, string>): Attribute[] {
  return Object.entries(attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}
