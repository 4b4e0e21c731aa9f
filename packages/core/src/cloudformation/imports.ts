import { resolveValue } from "./intrinsics.ts";
import type { StackPlan } from "./plan.ts";
import { intrinsicOf, type TemplateValue } from "./value.ts";

/*
 * Cross-stack references: which exports a stack imports, and CloudFormation's words when an export in
 * use would be deleted or changed. An import's name may call functions of parameters, mappings and
 * pseudo parameters, never of resources (CloudFormation refuses Ref/GetAtt of a resource in
 * Fn::ImportValue), so it resolves from the plan alone.
 */

function collect(value: TemplateValue | undefined, found: TemplateValue[]): void {
  if (value === undefined || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const member of value) collect(member, found);
    return;
  }
  const call = intrinsicOf(value);
  if (call?.name === "Fn::ImportValue") {
    found.push(call.argument);
    return;
  }
  for (const member of Object.values(value)) collect(member, found);
}

/** The export names a stack's resources and outputs import (names that do not resolve are left out). */
export function importedExportNames(plan: StackPlan): string[] {
  const found: TemplateValue[] = [];
  for (const declaration of Object.values(plan.resources)) {
    collect(declaration.properties, found);
    collect(declaration.creationPolicy, found);
  }
  for (const output of Object.values(plan.outputs)) collect(output.value, found);
  const context = plan.context({
    ref: () => undefined,
    getAtt: () => undefined,
    importValue: () => undefined,
  });
  const names = new Set<string>();
  for (const argument of found) {
    try {
      const name = resolveValue(context, argument);
      if (typeof name === "string") names.add(name);
    } catch {
      // Not resolvable before the stack runs: the executor reports it when it resolves the property.
    }
  }
  return [...names];
}

/** Stack names as CloudFormation lists them in these messages: "a", "a and b", "a, b and c". */
export function stackNameList(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** DeleteStack of a stack whose export another stack imports (the stack keeps its status). */
export const exportInUseOnDelete = (exportName: string, importers: readonly string[]): string =>
  `Export ${exportName} cannot be deleted as it is in use by ${stackNameList(importers)}`;

/** An update that removes an export in use (the update rolls back). */
export const exportRemovalInUse = (exportName: string, importers: readonly string[]): string =>
  `Cannot delete export ${exportName} as it is in use by ${stackNameList(importers)}.`;

/** An update that changes an export's value in use (the update rolls back). */
export const exportChangeInUse = (exportName: string, importers: readonly string[]): string =>
  `Cannot update export ${exportName} as it is in use by ${stackNameList(importers)}.`;

/** A stack that imports an export no stack has. */
export const noExportNamed = (exportName: string): string => `No export named ${exportName} found.`;
