import { check } from "./errors.ts";

/** Shared field checks. Messages follow AWS's wording where AWS has one. */

export function checkInt(name: string, value: number, min: number, max: number): void {
  check(
    Number.isInteger(value) && value >= min && value <= max,
    `${name} must be an integer between ${min} and ${max}, got ${value}`,
  );
}

export function checkOneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  check((allowed as readonly string[]).includes(value), `${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}

export function checkLength(name: string, value: string, min: number, max: number): void {
  check(
    value.length >= min && value.length <= max,
    `${name} must be between ${min} and ${max} characters long`,
  );
}

/**
 * Load balancer and target group names: at most 32 alphanumerics or hyphens, not starting or ending
 * with a hyphen, not starting with "internal-".
 */
export function checkElbName(kind: string, name: string): void {
  check(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name),
    `${kind} name '${name}' must have at most 32 characters, contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen`,
  );
  check(!name.startsWith("internal-"), `${kind} name '${name}' cannot begin with 'internal-'`);
}

/** Names used in REST paths and container labels (groups, alarms, templates): 1-255 printable characters, no '/'. */
export function checkResourceName(kind: string, name: string, max = 255): void {
  checkLength(`${kind} name`, name, 1, max);
  const hasControl = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  check(
    !hasControl && !name.includes("/"),
    `${kind} name '${name}' must not contain '/' or control characters`,
  );
}

export function checkPort(name: string, port: number): void {
  checkInt(name, port, 1, 65535);
}

export function unique<T>(values: T[]): boolean {
  return new Set(values).size === values.length;
}
