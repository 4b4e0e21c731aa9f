import type { ResourceTypeSpec } from "./resource-type.ts";
import { actingResourceTypes } from "./resource-types-acting.ts";
import { customResourceTypeSpec } from "./resource-types-custom.ts";
import { placeholderResourceTypes } from "./resource-types-placeholders.ts";
import type { Template } from "./template.ts";
import { formatError } from "./value.ts";

/** The spec of a resource type scaleout deploys (acting or placeholder), or undefined. */
export function resourceTypeSpec(type: string): ResourceTypeSpec | undefined {
  if (Object.hasOwn(actingResourceTypes, type)) return actingResourceTypes[type];
  if (Object.hasOwn(placeholderResourceTypes, type)) return placeholderResourceTypes[type];
  return customResourceTypeSpec(type);
}

/** Every resource type scaleout deploys, acting ones first. */
export const supportedResourceTypes = (): string[] => [
  ...Object.keys(actingResourceTypes),
  ...Object.keys(placeholderResourceTypes),
];

/** The template's resource types scaleout cannot deploy, each once, in template order. */
export function unsupportedResourceTypes(template: Template): string[] {
  const types = Object.values(template.resources).map((resource) => resource.type);
  return [...new Set(types.filter((type) => resourceTypeSpec(type) === undefined))];
}

/** Refuses a template with types scaleout cannot deploy, in CloudFormation's words for unknown types. */
export function checkResourceTypes(template: Template): void {
  const unsupported = unsupportedResourceTypes(template);
  if (unsupported.length > 0) throw formatError(`Unrecognized resource types: [${unsupported.join(", ")}]`);
}
