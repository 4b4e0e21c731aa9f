import { Errors } from "../errors.ts";

/** A template as data: what JSON (or YAML with its short tags expanded) can express. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | TemplateObject;
export interface TemplateObject {
  [key: string]: TemplateValue;
}

export const isObject = (value: TemplateValue | undefined): value is TemplateObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Every intrinsic function a template may call, by its long name. */
export const intrinsicNames = [
  "Ref",
  "Condition",
  "Fn::GetAtt",
  "Fn::Sub",
  "Fn::Join",
  "Fn::Select",
  "Fn::Split",
  "Fn::If",
  "Fn::Equals",
  "Fn::And",
  "Fn::Or",
  "Fn::Not",
  "Fn::FindInMap",
  "Fn::Base64",
  "Fn::GetAZs",
  "Fn::Cidr",
  "Fn::ImportValue",
] as const;
export type IntrinsicName = (typeof intrinsicNames)[number];

/**
 * The function an object calls, when it is one: an intrinsic is an object with exactly one key, the
 * function's name (`{ "Ref": "X" }`). Any other object is data.
 */
export function intrinsicOf(
  value: TemplateValue,
): { name: IntrinsicName; argument: TemplateValue } | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) return undefined;
  if (!(intrinsicNames as readonly string[]).includes(name)) return undefined;
  const argument = value[name];
  if (argument === undefined) return undefined;
  return { name: name as IntrinsicName, argument };
}

/** CloudFormation's wording for a template that cannot be read or is not well-formed. */
export const formatError = (message: string) =>
  new Errors.ValidationError(`Template format error: ${message}`);

/** CloudFormation's wording for a well-formed template whose functions are misused. */
export const templateError = (message: string) => new Errors.ValidationError(`Template error: ${message}`);

/** The logical ids and names CloudFormation accepts: ASCII letters and digits. */
export const alphanumeric = /^[A-Za-z0-9]+$/;

/** A key of an object, only if it is the object's own (templates are hostile: no `__proto__` lookups). */
export function own(object: TemplateObject, key: string): TemplateValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Sets a key on an object built from template data: a key named `__proto__` stays data. */
export function put<T>(object: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
