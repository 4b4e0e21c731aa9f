import { Errors } from "../errors.ts";
import type { ResolvedResource } from "./diff.ts";
import { type ResourceValues, resolveValue } from "./intrinsics.ts";
import type { StackPlan } from "./plan.ts";
import { isObject, type TemplateValue } from "./value.ts";

/** What DescribeStacks shows of a NoEcho parameter's value. */
export const maskedParameterValue = "****";

/** The stack's parameters as DescribeStacks lists them: NoEcho values masked. */
export function describedParameters(plan: StackPlan): Array<{ key: string; value: string }> {
  return Object.entries(plan.parameters).map(([key, bound]) => ({
    key,
    value: bound.noEcho ? maskedParameterValue : bound.value,
  }));
}

/**
 * A resource's properties with every function evaluated over what is provisioned so far: what the
 * executor hands to a service, and what an update diffs. Call it once the resource's dependencies exist.
 */
export function resolveResource(
  plan: StackPlan,
  logicalId: string,
  values: ResourceValues,
): ResolvedResource {
  const declaration = Object.hasOwn(plan.resources, logicalId) ? plan.resources[logicalId] : undefined;
  if (declaration === undefined)
    throw new Errors.ValidationError(
      `Resource ${logicalId} does not exist for stack ${plan.context(values).pseudo.stackName}`,
    );
  const context = plan.context(values);
  const properties = resolveValue(context, declaration.properties) ?? {};
  const attributes: Record<string, TemplateValue> = {};
  for (const [name, value] of [
    ["DeletionPolicy", declaration.deletionPolicy],
    ["UpdateReplacePolicy", declaration.updateReplacePolicy],
    ["UpdatePolicy", declaration.updatePolicy],
    ["CreationPolicy", declaration.creationPolicy],
    ["Metadata", declaration.metadata],
  ] as const) {
    if (value === undefined) continue;
    const resolved = resolveValue(context, value);
    if (resolved !== undefined) attributes[name] = resolved;
  }
  return {
    type: declaration.type,
    properties: isObject(properties) ? properties : {},
    attributes,
  };
}

export interface StackOutput {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

/** A list output reads as its comma-joined text, as DescribeStacks shows it. */
function outputText(value: TemplateValue | undefined, name: string): string {
  if (Array.isArray(value)) return value.map((member) => outputText(member, name)).join(",");
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Errors.ValidationError(
    `Template error: Output ${name} must resolve to a string or a list of strings`,
  );
}

/** The stack's outputs (those whose condition holds) with their values and export names resolved. */
export function resolveOutputs(plan: StackPlan, values: ResourceValues): StackOutput[] {
  const context = plan.context(values);
  return Object.entries(plan.outputs).map(([key, output]) => {
    const resolved: StackOutput = { key, value: outputText(resolveValue(context, output.value), key) };
    if (output.description !== undefined) resolved.description = output.description;
    if (output.exportName !== undefined)
      resolved.exportName = outputText(resolveValue(context, output.exportName), `${key} Export Name`);
    return resolved;
  });
}
