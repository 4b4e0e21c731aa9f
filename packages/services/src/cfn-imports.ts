import { CloudFormation, Errors } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq, isNull } from "drizzle-orm";
import { planOf } from "./cfn-plan.ts";
import type { PreviousState, StackRow } from "./cfn-store.ts";
import type { ServiceContext } from "./context.ts";

/*
 * Cross-stack references. A stack imports what its template's Fn::ImportValue names (its current template
 * and, while an update runs, the one before), as long as it holds resources: CloudFormation then keeps
 * the exporting stack from deleting or changing those exports. Nothing is stored for it: the imports
 * are read off the stacks' templates (no migration; a stack's imports change only with its template).
 */

/** Statuses in which a stack holds no resources, so imports nothing. */
const holdsNothing = ["REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE"];

function importsOf(ctx: ServiceContext, stack: StackRow): string[] {
  const names = new Set<string>();
  const previous = stack.previous as PreviousState | null;
  const versions = [
    { body: stack.templateBody, parameters: stack.parameters },
    ...(previous === null ? [] : [{ body: previous.templateBody, parameters: previous.parameters }]),
  ];
  for (const version of versions) {
    try {
      for (const name of CloudFormation.importedExportNames(
        planOf(ctx, stack, version.body, version.parameters),
      ))
        names.add(name);
    } catch {
      // A template that no longer plans imports nothing it can name.
    }
  }
  return [...names];
}

/** The live stacks importing each export name (stack names, by creation), leaving out `except`. */
export function importersByExport(ctx: ServiceContext, except?: string): Map<string, string[]> {
  const stacks = ctx.db
    .select()
    .from(schema.cfnStacks)
    .where(isNull(schema.cfnStacks.deletedAt))
    .orderBy(schema.cfnStacks.createdAt)
    .all()
    .filter((stack) => stack.stackId !== except && !holdsNothing.includes(stack.status));
  const importers = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const name of importsOf(ctx, stack))
      importers.set(name, [...(importers.get(name) ?? []), stack.name]);
  }
  return importers;
}

/** The reason DeleteStack cannot go ahead: an export of the stack that another stack imports. */
export function exportInUseOnDelete(ctx: ServiceContext, stack: StackRow): string | undefined {
  const exports = ctx.db
    .select()
    .from(schema.cfnExports)
    .where(eq(schema.cfnExports.stackId, stack.stackId))
    .all();
  if (exports.length === 0) return undefined;
  const importers = importersByExport(ctx, stack.stackId);
  for (const exported of exports) {
    const by = importers.get(exported.name);
    if (by !== undefined) return CloudFormation.exportInUseOnDelete(exported.name, by);
  }
  return undefined;
}

/**
 * Why an update's new exports cannot replace the stack's current ones: an export in use that goes, or
 * whose value changes. Undefined when they can.
 */
export function exportChangeInUse(
  ctx: ServiceContext,
  stackId: string,
  next: ReadonlyArray<{ ExportName?: string; OutputValue: string }>,
): string | undefined {
  const current = ctx.db.select().from(schema.cfnExports).where(eq(schema.cfnExports.stackId, stackId)).all();
  if (current.length === 0) return undefined;
  const importers = importersByExport(ctx, stackId);
  for (const exported of current) {
    const by = importers.get(exported.name);
    if (by === undefined) continue;
    const kept = next.find((output) => output.ExportName === exported.name);
    if (kept === undefined) return CloudFormation.exportRemovalInUse(exported.name, by);
    if (kept.OutputValue !== exported.value) return CloudFormation.exportChangeInUse(exported.name, by);
  }
  return undefined;
}

/** CreateStack's, UpdateStack's and CreateChangeSet's check: every export the template imports exists. */
export function checkImportsExist(
  ctx: ServiceContext,
  stack: Pick<StackRow, "name" | "stackId">,
  templateBody: string,
  parameters: Array<Record<string, unknown>>,
): void {
  const names = CloudFormation.importedExportNames(planOf(ctx, stack, templateBody, parameters));
  for (const name of names) {
    const exported = ctx.db.select().from(schema.cfnExports).where(eq(schema.cfnExports.name, name)).get();
    if (exported === undefined) throw new Errors.ValidationError(CloudFormation.noExportNamed(name));
  }
}

/** ListImports: the stacks importing an export, or CloudFormation's error when none does. */
export function listImports(ctx: ServiceContext, exportName: string): string[] {
  const importers = importersByExport(ctx).get(exportName);
  if (importers === undefined)
    throw new Errors.ValidationError(`Export '${exportName}' is not imported by any stack.`);
  return importers;
}
