import { AwsError, CloudFormation } from "@scaleout/core";
import type { Services } from "../index.ts";

type TemplateValue = CloudFormation.TemplateValue;

/** A provisioned resource as CloudFormation knows it: its physical id (what Ref gives) and attributes. */
export interface Provisioned {
  physicalId: string;
  /** GetAtt attributes by name; `Ref` is the physical id unless the provider stores one here. */
  attributes: Record<string, TemplateValue>;
}

/** What a provider is told about the resource it acts on. */
export interface ProviderRequest {
  services: Services;
  stackName: string;
  logicalId: string;
  /** The resolved properties (every intrinsic evaluated). */
  properties: Record<string, TemplateValue>;
  /** Unix ms, for deadlines; never slept on beyond the provider's own polling. */
  now(): number;
  /** The resource's UpdatePolicy attribute, on updates (a group's rolling update). */
  updatePolicy?: TemplateValue;
  /**
   * Names this create: the same when an interrupted create resumes (it derives from the stack and the
   * logical id), new for each replacement. It seeds generated names and is the client token where a
   * service takes one, so a resumed create comes to what the interrupted call made.
   */
  token: string;
}

/**
 * One CloudFormation resource type on scaleout's services. `replaces` says which property changes need a
 * new physical resource (CloudFormation's "Update requires: Replacement"); every other change goes
 * through `update` in place, or, for a provider without one, through replacement as well.
 */
export interface ResourceProvider {
  create(request: ProviderRequest): Promise<Provisioned> | Provisioned;
  update?(
    request: ProviderRequest & { physicalId: string; previous: Record<string, TemplateValue> },
  ): Promise<Provisioned> | Provisioned;
  delete(request: ProviderRequest & { physicalId: string }): Promise<void> | void;
  replaces: readonly string[];
  /** Whether a replacement must be created under a generated name (a custom name cannot be reused). */
  namedBy?: string;
  /**
   * On a resumed create (the worker stopped inside the provider's create), the physical resource the
   * interrupted call made, found by the name or token it would use again; undefined when it made none.
   * A provider whose create is idempotent by itself (a put, a client token) needs none.
   */
  adopt?(request: ProviderRequest): Promise<Provisioned | undefined> | Provisioned | undefined;
}

/**
 * The names AWS spells with a leading acronym, as the services' camelCase fields spell them
 * (apps/api/src/aws/shapes.ts's nameExceptions, reversed).
 */
const camelExceptions: Readonly<Record<string, string>> = {
  DNSName: "dnsName",
  OKActions: "okActions",
  VPCZoneIdentifier: "vpcZoneIdentifier",
};

const camelKey = (key: string): string =>
  camelExceptions[key] ?? `${key.charAt(0).toLowerCase()}${key.slice(1)}`;

/**
 * A template value with CloudFormation's PascalCase member names turned into the services' camelCase:
 * the services check every member exactly as they do for the doors, so the result is only reshaped here.
 */
export function camel(value: TemplateValue | undefined): unknown {
  if (Array.isArray(value)) return value.map((member) => camel(member));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    Object.defineProperty(out, camelKey(key), {
      value: camel(member),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A property read as the services expect it (camelCase members); their validation judges it. */
export function prop<T>(properties: Record<string, TemplateValue>, name: string): T | undefined {
  const value = Object.hasOwn(properties, name) ? properties[name] : undefined;
  // The services validate what they receive (as they do for both doors), so the cast only names the shape.
  return value === undefined || value === null ? undefined : (camel(value) as T);
}

export function stringProp(properties: Record<string, TemplateValue>, name: string): string | undefined {
  const value = Object.hasOwn(properties, name) ? properties[name] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new AwsError("ValidationError", 400, `Property ${name} must be a string`);
}

/** CloudFormation passes numbers in templates as numbers or strings ("80"); the services take numbers. */
export function numberProp(properties: Record<string, TemplateValue>, name: string): number | undefined {
  const value = stringProp(properties, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number))
    throw new AwsError("ValidationError", 400, `Property ${name} must be a number, got '${value}'`);
  return number;
}

export function booleanProp(properties: Record<string, TemplateValue>, name: string): boolean | undefined {
  const value = stringProp(properties, name);
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false")
    throw new AwsError("ValidationError", 400, `Property ${name} must be a boolean, got '${value}'`);
  return value === "true";
}

export function requiredString(properties: Record<string, TemplateValue>, name: string): string {
  const value = stringProp(properties, name);
  if (value === undefined)
    throw new AwsError(
      "ValidationError",
      400,
      `Property validation failure: [The property ${name} is required]`,
    );
  return value;
}

/** Tags as the services take them. */
export function tagsProp(properties: Record<string, TemplateValue>, name = "Tags") {
  return prop<Array<{ key: string; value: string }>>(properties, name);
}

/**
 * The name CloudFormation gives a resource without one: `<stack>-<logical id>-<12 characters>`, cut to
 * `max` (32 for ELB names). Pass the request's token as `seed`: a resumed create then comes to the same
 * name, and finds what the interrupted call made.
 */
export function generatedName(stackName: string, logicalId: string, max: number, seed?: string): string {
  return CloudFormation.generatedName(stackName, logicalId, max, seed);
}

/** Whether an error says the resource is already gone (a delete then succeeds, as CloudFormation's does). */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof AwsError && /NotFound|not found|does not exist/i.test(`${error.code} ${error.message}`)
  );
}

/** What a lookup finds, or undefined where the service says it does not exist. */
export function found<T>(lookup: () => T): T | undefined {
  try {
    return lookup();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function deleting(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
