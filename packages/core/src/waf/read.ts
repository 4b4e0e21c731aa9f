import { type WafError, WafErrors } from "./errors.ts";

/*
 * Readers of hostile JSON for WAF's rule trees. The AWS door hands them over as they came (a recursive
 * statement has no fixed shape), the REST door too, so each member is checked here against the wafv2
 * model's type and constraints (botocore 2019-07-29), in Smithy's wording: WAF answers a value outside
 * its model with ValidationException ("1 validation error detected: ..."), and a value the model allows
 * but WAF does not with WAFInvalidParameterException (errors.ts).
 */

export type Obj = Record<string, unknown>;

/** What an error quotes of a value: cut, so a hostile megabyte is not echoed back. */
export function shown(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length <= 256 ? text : `${text.slice(0, 256)}... (${text.length} characters)`;
}

export function violated(path: string, value: unknown, constraint: string): WafError {
  return new WafErrors.ValidationException(
    `1 validation error detected: Value '${shown(value)}' at '${path}' failed to satisfy constraint: ${constraint}`,
  );
}

export function missing(path: string): WafError {
  return new WafErrors.ValidationException(
    `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`,
  );
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function obj(value: unknown, path: string): Obj {
  if (!present(value)) throw missing(path);
  if (!isObj(value)) throw violated(path, value, "Member must be a structure");
  return value;
}

export function optObj(value: unknown, path: string): Obj | undefined {
  return present(value) ? obj(value, path) : undefined;
}

export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** The pattern as the model writes it, for the message. */
  patternText?: string;
  enum?: readonly string[];
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function str<T extends string = string>(value: unknown, path: string, rule: StringRule = {}): T {
  if (!present(value)) throw missing(path);
  if (typeof value !== "string") throw violated(path, value, "Member must be a string");
  const length = value.length > 2 * (rule.max ?? Number.POSITIVE_INFINITY) ? value.length : codePoints(value);
  if (rule.max !== undefined && length > rule.max)
    throw violated(path, value, `Member must have length less than or equal to ${rule.max}`);
  if (rule.min !== undefined && length < rule.min)
    throw violated(path, value, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.enum !== undefined && !rule.enum.includes(value))
    throw violated(path, value, `Member must satisfy enum value set: [${rule.enum.join(", ")}]`);
  if (rule.pattern !== undefined && !rule.pattern.test(value))
    throw violated(
      path,
      value,
      `Member must satisfy regular expression pattern: ${rule.patternText ?? rule.pattern.source}`,
    );
  return value as T;
}

export function optStr<T extends string = string>(
  value: unknown,
  path: string,
  rule: StringRule = {},
): T | undefined {
  return present(value) ? str<T>(value, path, rule) : undefined;
}

/** Smithy's integer and long: whole numbers (a long may pass 2^31; JSON numbers are exact to 2^53). */
export function num(value: unknown, path: string, rule: { min?: number; max?: number } = {}): number {
  if (!present(value)) throw missing(path);
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw violated(path, value, "Member must be an integer");
  if (rule.min !== undefined && value < rule.min)
    throw violated(path, value, `Member must have value greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value > rule.max)
    throw violated(path, value, `Member must have value less than or equal to ${rule.max}`);
  return value;
}

export function optNum(
  value: unknown,
  path: string,
  rule: { min?: number; max?: number } = {},
): number | undefined {
  return present(value) ? num(value, path, rule) : undefined;
}

export function bool(value: unknown, path: string): boolean {
  if (!present(value)) throw missing(path);
  if (typeof value !== "boolean") throw violated(path, value, "Member must be true or false");
  return value;
}

export function arr(value: unknown, path: string, rule: { min?: number; max?: number } = {}): unknown[] {
  if (!present(value)) throw missing(path);
  if (!Array.isArray(value)) throw violated(path, value, "Member must be a list");
  if (rule.max !== undefined && value.length > rule.max)
    throw violated(
      path,
      `[${value.length} items]`,
      `Member must have length less than or equal to ${rule.max}`,
    );
  if (rule.min !== undefined && value.length < rule.min)
    throw violated(
      path,
      `[${value.length} items]`,
      `Member must have length greater than or equal to ${rule.min}`,
    );
  return value;
}

/** An empty structure member (`"UriPath": {}`): present or not, nothing inside to keep. */
export function empty(value: unknown, path: string): Record<string, never> {
  obj(value, path);
  return {};
}

/** The members of a union (Statement, FieldToMatch, ...) that are set. */
export function setMembers(value: Obj): string[] {
  return Object.keys(value).filter((key) => present(value[key]));
}
