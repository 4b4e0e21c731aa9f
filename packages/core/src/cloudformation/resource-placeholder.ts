import { generatedName, seededHex } from "./generated-name.ts";
import { partitionOf } from "./pseudo-parameters.ts";
import type { PlaceholderAttribute, PlaceholderSpec } from "./resource-type.ts";
import type { TemplateValue } from "./value.ts";

/*
 * A placeholder's values from its spec (resource-types-placeholders.ts): the physical id and the
 * attributes, made of its properties, its name, ids derived from a seed, and constants. Deterministic:
 * the same seed gives the same physical id (a resumed create), and generated attributes derive from the
 * physical id, so an update answers the same ones.
 */

export interface PlaceholderInput {
  stackName: string;
  logicalId: string;
  properties: Readonly<Record<string, TemplateValue>>;
  partition: { region: string; accountId: string };
  /** Seeds the physical id: the same seed, the same id. */
  seed: string;
}

const text = (value: TemplateValue | undefined): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

const property = (input: PlaceholderInput, name: string) =>
  Object.hasOwn(input.properties, name) ? input.properties[name] : undefined;

function fill(template: string, input: PlaceholderInput, values: Record<string, string>): string {
  const all: Record<string, string> = {
    partition: partitionOf(input.partition.region).partition,
    region: input.partition.region,
    account: input.partition.accountId,
    ...values,
  };
  return template.replace(
    /\{(\w+)\}/g,
    (whole, key: string) => (Object.hasOwn(all, key) ? all[key] : whole) ?? whole,
  );
}

/** The resource's name: its naming property's value, or CloudFormation's generated name. */
export function placeholderName(spec: PlaceholderSpec, input: PlaceholderInput): string {
  const given = spec.nameProperty === undefined ? undefined : text(property(input, spec.nameProperty));
  if (given !== undefined && given !== "") return given;
  return generatedName(input.stackName, input.logicalId, spec.nameMax ?? 64, input.seed);
}

export function placeholderPhysicalId(spec: PlaceholderSpec, input: PlaceholderInput): string {
  if (spec.idTemplate !== undefined)
    return fill(spec.idTemplate, input, { name: placeholderName(spec, input) });
  if (spec.idPrefix === "name") return placeholderName(spec, input);
  return `${spec.idPrefix}${seededHex(`${input.seed}|id`, 17)}`;
}

/** The name a physical id holds: the id itself, or what `{name}` stood for in the id's template. */
function nameIn(spec: PlaceholderSpec, physicalId: string, input: PlaceholderInput): string {
  if (spec.idTemplate === undefined) return physicalId;
  const at = spec.idTemplate.indexOf("{name}");
  if (at < 0) return physicalId;
  const prefix = fill(spec.idTemplate.slice(0, at), input, {});
  const suffix = fill(spec.idTemplate.slice(at + "{name}".length), input, {});
  return physicalId.slice(prefix.length, physicalId.length - suffix.length);
}

/** Template text (a fallback, an ARN, a constant) with {partition}, {region}, {account}, {physicalId}. */
function filled(value: string | string[], input: PlaceholderInput, physicalId: string): TemplateValue {
  return Array.isArray(value)
    ? value.map((member) => fill(member, input, { physicalId }))
    : fill(value, input, { physicalId });
}

function attributeValue(
  attribute: PlaceholderAttribute,
  spec: PlaceholderSpec,
  physicalId: string,
  input: PlaceholderInput,
  key: string,
): TemplateValue {
  if ("property" in attribute)
    return property(input, attribute.property) ?? filled(attribute.fallback ?? "", input, physicalId);
  if ("physicalId" in attribute) return physicalId;
  if ("name" in attribute) return nameIn(spec, physicalId, input);
  if ("generated" in attribute) {
    // AWS's ids with a dash prefix are lower-case hex (sg-0a1b...); the IAM ones are upper case (AROA...).
    const digits = seededHex(`${physicalId}|${key}`, 17);
    return `${attribute.generated}${attribute.generated.endsWith("-") ? digits : digits.toUpperCase()}`;
  }
  if ("arn" in attribute) return filled(attribute.arn, input, physicalId);
  return filled(attribute.constant, input, physicalId);
}

export function placeholderAttributes(
  spec: PlaceholderSpec,
  physicalId: string,
  input: PlaceholderInput,
): Record<string, TemplateValue> {
  const attributes: Record<string, TemplateValue> = {};
  for (const [key, attribute] of Object.entries(spec.attributes)) {
    attributes[key] = attributeValue(attribute, spec, physicalId, input, key);
  }
  return attributes;
}
