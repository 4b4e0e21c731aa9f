import { CloudFormation } from "@scaleout/core";
import { schema, writeTransaction } from "@scaleout/db";
import { and, eq, ne } from "drizzle-orm";
import { exportChangeInUse } from "./cfn-imports.ts";
import { planOf, resolveOutputs, resolveProperties, resourceValues } from "./cfn-plan.ts";
import { providerOf } from "./cfn-providers/index.ts";
import { type ActionScope, createResource, deleteResource, updateResource } from "./cfn-resource-actions.ts";
import {
  findStack,
  type PreviousState,
  putResource,
  type ResourceSnapshot,
  removeResource,
  type StackResourceRow,
  type StackRow,
  setStackStatus,
  stackResources,
  updateStack,
} from "./cfn-store.ts";
import type { Services } from "./index.ts";

type TemplateValue = CloudFormation.TemplateValue;

/*
 * The stack executor: it takes a stack in an *_IN_PROGRESS status to the status CloudFormation ends
 * that operation in, resource by resource in the engine's waves (a wave's resources at once), writing
 * each step to the store first. It runs in the worker (cfn-stacks job); a worker that dies mid-operation
 * leaves the stack in progress, and the job's next run resumes it from the store. A create under way in
 * the stack's creation is run again, its provider adopting what the interrupted call made (the create's
 * token gives the same names and client tokens); any other resource whose provider call was under way
 * is failed ("the operation was interrupted") and the stack rolls back, so an interrupted operation
 * always ends in a CloudFormation state, never hangs.
 */

const interrupted =
  'Resource handler returned message: "The operation was interrupted: the worker running it stopped" (HandlerErrorCode: InternalFailure)';

export async function runStackOperation(services: Services, stackId: string): Promise<string> {
  const stack = findStack(services.ctx.db, stackId);
  const scope: ActionScope = { services, stack };
  switch (stack.status) {
    case "CREATE_IN_PROGRESS":
      await create(scope, stack);
      break;
    case "ROLLBACK_IN_PROGRESS":
      await removeAll(scope, stack, "ROLLBACK");
      break;
    case "DELETE_IN_PROGRESS":
      await removeAll(scope, stack, "DELETE");
      break;
    case "UPDATE_IN_PROGRESS":
      await update(scope, stack);
      break;
    case "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
      await cleanup(scope, stack, "UPDATE_COMPLETE");
      break;
    case "UPDATE_ROLLBACK_IN_PROGRESS":
      await rollbackUpdate(scope, stack);
      break;
    case "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
      await cleanup(scope, stack, "UPDATE_ROLLBACK_COMPLETE");
      break;
    default:
      break;
  }
  return findStack(services.ctx.db, stackId).status;
}

const now = (scope: ActionScope) => scope.services.ctx.now();
const rowsOf = (scope: ActionScope) => stackResources(scope.services.ctx.db, scope.stack.stackId);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Resources whose provider call was under way when the previous run stopped: failed, as interrupted,
 * except those `resumable` keeps in progress (a stack's create resumes their creates).
 */
function failInterrupted(
  scope: ActionScope,
  resumable: (row: StackResourceRow) => boolean = () => false,
): string[] {
  const failed: string[] = [];
  for (const row of rowsOf(scope)) {
    if (!row.status.endsWith("_IN_PROGRESS") || resumable(row)) continue;
    const phase = row.status.slice(0, row.status.indexOf("_IN_PROGRESS"));
    putResource(
      scope.services.ctx.db,
      scope.stack.stackId,
      { ...row, status: `${phase}_FAILED`, statusReason: interrupted },
      now(scope),
    );
    failed.push(row.logicalId);
  }
  return failed;
}

/** Writes the stack's outputs and exports; an export another stack owns is CloudFormation's error. */
function writeOutputs(scope: ActionScope, plan: CloudFormation.StackPlan): void {
  const db = scope.services.ctx.db;
  const outputs = resolveOutputs(
    plan,
    resourceValues(db, () => rowsOf(scope)),
  );
  for (const output of outputs) {
    if (output.ExportName === undefined) continue;
    const owner = db
      .select()
      .from(schema.cfnExports)
      .where(
        and(
          eq(schema.cfnExports.name, output.ExportName),
          ne(schema.cfnExports.stackId, scope.stack.stackId),
        ),
      )
      .get();
    if (owner !== undefined) {
      const other = findStack(db, owner.stackId);
      throw new Error(`Export with name ${output.ExportName} is already exported by stack ${other.name}`);
    }
  }
  const inUse = exportChangeInUse(scope.services.ctx, scope.stack.stackId, outputs);
  if (inUse !== undefined) throw new Error(inUse);
  writeTransaction(db, (tx) => {
    tx.delete(schema.cfnExports).where(eq(schema.cfnExports.stackId, scope.stack.stackId)).run();
    for (const output of outputs) {
      if (output.ExportName === undefined) continue;
      tx.insert(schema.cfnExports)
        .values({ name: output.ExportName, stackId: scope.stack.stackId, value: output.OutputValue })
        .run();
    }
    tx.update(schema.cfnStacks)
      .set({ outputs })
      .where(eq(schema.cfnStacks.stackId, scope.stack.stackId))
      .run();
  });
}

async function create(scope: ActionScope, stack: StackRow): Promise<void> {
  const db = scope.services.ctx.db;
  // A create the previous run stopped inside is run again: its provider adopts what the call made.
  const resumed = new Set(
    rowsOf(scope)
      .filter((row) => row.status === "CREATE_IN_PROGRESS")
      .map((row) => row.logicalId),
  );
  const failed = failInterrupted(scope, (row) => resumed.has(row.logicalId));
  let reason: string | undefined;
  try {
    const plan = planOf(scope.services.ctx, stack, stack.templateBody, stack.parameters);
    const values = resourceValues(db, () => rowsOf(scope));
    for (const wave of plan.graph.creation) {
      if (failed.length > 0) break;
      const done = new Set(
        rowsOf(scope)
          .filter((r) => r.status === "CREATE_COMPLETE")
          .map((r) => r.logicalId),
      );
      const results = await Promise.all(
        wave
          .filter((id) => !done.has(id))
          .map(async (id) => {
            const type = plan.resources[id]?.type ?? "";
            const failure = await createResource(
              scope,
              id,
              type,
              () => resolveProperties(plan, values, id),
              "CREATE",
              null,
              resumed.has(id),
              creationPolicyOf(plan, values, id),
            );
            return failure === undefined ? undefined : id;
          }),
      );
      for (const id of results) if (id !== undefined) failed.push(id);
    }
    if (failed.length === 0) writeOutputs(scope, plan);
  } catch (error) {
    reason = messageOf(error);
  }
  if (failed.length === 0 && reason === undefined) {
    setStackStatus(db, stack, "CREATE_COMPLETE", null, now(scope));
    return;
  }
  const cause = reason ?? `The following resource(s) failed to create: [${failed.join(", ")}]. `;
  if (stack.disableRollback) {
    setStackStatus(db, stack, "CREATE_FAILED", cause, now(scope));
    return;
  }
  setStackStatus(
    db,
    stack,
    "ROLLBACK_IN_PROGRESS",
    `${cause}${reason === undefined ? "Rollback requested by user." : ""}`,
    now(scope),
  );
  await removeAll(scope, findStack(db, stack.stackId), "ROLLBACK");
}

/** The order to delete rows in: the template's deletion waves, rows the template does not name first. */
function deletionWaves(scope: ActionScope, stack: StackRow, rows: StackResourceRow[]): StackResourceRow[][] {
  let waves: string[][] = [];
  try {
    waves = planOf(scope.services.ctx, stack, stack.templateBody, stack.parameters).graph.deletion;
  } catch {
    // A template that no longer plans: delete in the reverse of the rows' order.
    waves = [...rows].reverse().map((row) => [row.logicalId]);
  }
  const named = new Set(waves.flat());
  const first = rows.filter((row) => !named.has(row.logicalId));
  return [first, ...waves.map((wave) => rows.filter((row) => wave.includes(row.logicalId)))].filter(
    (wave) => wave.length > 0,
  );
}

function declarationOf(stack: StackRow, scope: ActionScope, logicalId: string) {
  try {
    return planOf(scope.services.ctx, stack, stack.templateBody, stack.parameters).resources[logicalId];
  } catch {
    return undefined;
  }
}

/** DELETE (DeleteStack) or ROLLBACK (a failed create): every resource, in reverse order. */
async function removeAll(scope: ActionScope, stack: StackRow, kind: "DELETE" | "ROLLBACK"): Promise<void> {
  const db = scope.services.ctx.db;
  const failed: string[] = [];
  const rows = rowsOf(scope).filter(
    (row) => row.status !== "DELETE_COMPLETE" && row.status !== "DELETE_SKIPPED",
  );
  for (const wave of deletionWaves(scope, stack, rows)) {
    const results = await Promise.all(
      wave.map(async (row) => {
        const declared = declarationOf(stack, scope, row.logicalId)?.deletionPolicy;
        // A rollback deletes what it created, whatever RetainExceptOnCreate says; Retain still holds.
        const policy = kind === "ROLLBACK" && declared === "RetainExceptOnCreate" ? "Delete" : declared;
        const failure = await deleteResource(scope, snapshotOf(row), { policy, row: true });
        return failure === undefined ? undefined : row.logicalId;
      }),
    );
    for (const id of results) if (id !== undefined) failed.push(id);
  }
  if (failed.length > 0) {
    const cause = `The following resource(s) failed to delete: [${failed.join(", ")}]. `;
    setStackStatus(db, stack, kind === "DELETE" ? "DELETE_FAILED" : "ROLLBACK_FAILED", cause, now(scope));
    return;
  }
  db.delete(schema.cfnExports).where(eq(schema.cfnExports.stackId, stack.stackId)).run();
  setStackStatus(db, stack, kind === "DELETE" ? "DELETE_COMPLETE" : "ROLLBACK_COMPLETE", null, now(scope));
}

/** A resource's CreationPolicy with its functions evaluated (Count is often a Ref of a parameter). */
const creationPolicyOf =
  (plan: CloudFormation.StackPlan, values: CloudFormation.ResourceValues, logicalId: string) => () => {
    const declared = plan.resources[logicalId]?.creationPolicy;
    return declared === undefined ? undefined : CloudFormation.resolveValue(plan.context(values), declared);
  };

const snapshotOf = (
  row: StackResourceRow,
  declaration?: CloudFormation.ResourceDeclaration,
): ResourceSnapshot => ({
  logicalId: row.logicalId,
  type: row.type,
  physicalId: row.physicalId,
  status: row.status,
  properties: row.properties as Record<string, TemplateValue>,
  attributes: row.attributes as Record<string, TemplateValue>,
  ...(declaration?.deletionPolicy !== undefined && { deletionPolicy: declaration.deletionPolicy }),
  ...(declaration?.updateReplacePolicy !== undefined && {
    updateReplacePolicy: declaration.updateReplacePolicy,
  }),
});

export const snapshotResources = snapshotOf;

function previousOf(stack: StackRow): PreviousState {
  const previous = stack.previous as PreviousState | null;
  if (previous === null) throw new Error("The stack's previous state is missing");
  return previous;
}

/** Whether a changed property needs a new physical resource (or the provider cannot update in place). */
function needsReplacement(type: string, changed: string[]): boolean {
  const provider = providerOf(type);
  if (provider?.update === undefined) return true;
  // The engine's registry (CloudFormation's createOnlyProperties) and the provider's own limits.
  const replacing = CloudFormation.resourceTypeSpec(type)?.replacing ?? [];
  return changed.some((property) => provider.replaces.includes(property) || replacing.includes(property));
}

async function update(scope: ActionScope, stack: StackRow): Promise<void> {
  const db = scope.services.ctx.db;
  const previous = previousOf(stack);
  const failed = failInterrupted(scope);
  let reason: string | undefined;
  try {
    const plan = planOf(scope.services.ctx, stack, stack.templateBody, stack.parameters);
    const values = resourceValues(db, () => rowsOf(scope));
    for (const wave of plan.graph.creation) {
      if (failed.length > 0) break;
      const results = await Promise.all(
        wave.map(async (id) => {
          const declaration = plan.resources[id];
          if (declaration === undefined) return undefined;
          const row = rowsOf(scope).find((r) => r.logicalId === id);
          const resolve = () => resolveProperties(plan, values, id);
          if (row === undefined || row.physicalId === null)
            return (await createResource(
              scope,
              id,
              declaration.type,
              resolve,
              "CREATE",
              null,
              false,
              creationPolicyOf(plan, values, id),
            )) === undefined
              ? undefined
              : id;
          let properties: Record<string, TemplateValue>;
          try {
            properties = resolve();
          } catch (error) {
            putResource(
              db,
              stack.stackId,
              { ...row, status: "UPDATE_FAILED", statusReason: messageOf(error) },
              now(scope),
            );
            return id;
          }
          const before = row.properties as Record<string, TemplateValue>;
          const changed = [...new Set([...Object.keys(before), ...Object.keys(properties)])].filter(
            (key) => !CloudFormation.sameValue(before[key], properties[key]),
          );
          if (declaration.type !== row.type) {
            putResource(
              db,
              stack.stackId,
              {
                ...row,
                status: "UPDATE_FAILED",
                statusReason: `Update of resource type is not permitted. The new template modifies resource type of the following resources: [${id}]`,
              },
              now(scope),
            );
            return id;
          }
          if (changed.length === 0) return undefined;
          if (!needsReplacement(row.type, changed))
            return (await updateResource(scope, row, properties, before, declaration.updatePolicy)) ===
              undefined
              ? undefined
              : id;
          const namedBy = providerOf(row.type)?.namedBy;
          if (
            namedBy !== undefined &&
            properties[namedBy] !== undefined &&
            CloudFormation.sameValue(properties[namedBy], before[namedBy])
          ) {
            putResource(
              db,
              stack.stackId,
              {
                ...row,
                status: "UPDATE_FAILED",
                statusReason: `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${String(properties[namedBy])} and update the stack again.`,
              },
              now(scope),
            );
            return id;
          }
          const failure = await createResource(
            scope,
            id,
            row.type,
            () => properties,
            "UPDATE",
            "Requested update requires the creation of a new physical resource; hence creating one.",
            false,
            creationPolicyOf(plan, values, id),
          );
          return failure === undefined ? undefined : id;
        }),
      );
      for (const id of results) if (id !== undefined) failed.push(id);
    }
    if (failed.length === 0) writeOutputs(scope, plan);
  } catch (error) {
    reason = messageOf(error);
  }
  if (failed.length > 0 || reason !== undefined) {
    const cause = reason ?? `The following resource(s) failed to update: [${failed.join(", ")}]. `;
    setStackStatus(db, stack, "UPDATE_ROLLBACK_IN_PROGRESS", cause, now(scope));
    await rollbackUpdate(scope, findStack(db, stack.stackId));
    return;
  }
  // What the update left behind: replaced physical resources, and resources the template no longer has.
  const rows = rowsOf(scope);
  const plan = planOf(scope.services.ctx, stack, stack.templateBody, stack.parameters);
  const discard = previous.resources.filter((old) => {
    if (old.physicalId === null) return false;
    if (!Object.hasOwn(plan.resources, old.logicalId)) return true;
    return rows.find((r) => r.logicalId === old.logicalId)?.physicalId !== old.physicalId;
  });
  updateStack(db, stack.stackId, { previous: { ...previous, discard } });
  setStackStatus(db, stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", null, now(scope));
  await cleanup(scope, findStack(db, stack.stackId), "UPDATE_COMPLETE");
}

/**
 * The cleanup phase: deletes the physical resources in `previous.discard` (reverse order), then ends
 * in `final`. CloudFormation lets a failed cleanup delete pass (the stack stays complete).
 */
async function cleanup(
  scope: ActionScope,
  stack: StackRow,
  final: "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE",
): Promise<void> {
  const db = scope.services.ctx.db;
  const previous = previousOf(stack);
  const live = new Set(rowsOf(scope).map((r) => `${r.logicalId}|${r.physicalId}`));
  for (const old of [...(previous.discard ?? [])].reverse()) {
    const rowGoes =
      !live.has(`${old.logicalId}|${old.physicalId}`) &&
      !rowsOf(scope).some((r) => r.logicalId === old.logicalId && r.physicalId !== old.physicalId);
    const removed =
      final === "UPDATE_COMPLETE" ? rowGoes : !previous.resources.some((r) => r.logicalId === old.logicalId);
    const policy = removed ? old.deletionPolicy : old.updateReplacePolicy;
    await deleteResource(scope, old, { policy, row: false });
    if (removed) removeResource(db, stack.stackId, old.logicalId);
  }
  const restore =
    final === "UPDATE_ROLLBACK_COMPLETE"
      ? { templateBody: previous.templateBody, parameters: previous.parameters, outputs: previous.outputs }
      : {};
  updateStack(db, stack.stackId, { ...restore, previous: null, updatedAt: now(scope) });
  if (final === "UPDATE_ROLLBACK_COMPLETE") {
    try {
      writeOutputs(scope, planOf(scope.services.ctx, stack, previous.templateBody, previous.parameters));
    } catch {
      // The outputs were written when that template was deployed; keep them as they were.
    }
  }
  setStackStatus(db, stack, final, null, now(scope));
}

/** UPDATE_ROLLBACK: every resource back to how the last complete state had it, then cleanup. */
async function rollbackUpdate(scope: ActionScope, stack: StackRow): Promise<void> {
  const db = scope.services.ctx.db;
  const previous = previousOf(stack);
  failInterrupted(scope);
  const discard: ResourceSnapshot[] = [];
  const failed: string[] = [];
  for (const row of rowsOf(scope)) {
    const old = previous.resources.find((r) => r.logicalId === row.logicalId);
    // Added by the update: it goes in cleanup (its physical resource, if it got one).
    if (old === undefined) discard.push(snapshotOf(row));
  }
  for (const old of previous.resources) {
    const row = rowsOf(scope).find((r) => r.logicalId === old.logicalId);
    if (row !== undefined && row.physicalId !== old.physicalId) {
      if (row.physicalId !== null) discard.push(snapshotOf(row));
      putResource(db, stack.stackId, { ...old, statusReason: null, status: "UPDATE_COMPLETE" }, now(scope));
      continue;
    }
    if (row === undefined) {
      putResource(db, stack.stackId, { ...old, statusReason: null }, now(scope), false);
      continue;
    }
    if (CloudFormation.sameValue(row.properties as Record<string, TemplateValue>, old.properties)) {
      if (row.status !== old.status)
        putResource(db, stack.stackId, { ...old, statusReason: null }, now(scope), false);
      continue;
    }
    const failure = await updateResource(
      scope,
      row,
      old.properties,
      row.properties as Record<string, TemplateValue>,
    );
    if (failure !== undefined) failed.push(old.logicalId);
  }
  if (failed.length > 0) {
    setStackStatus(
      db,
      stack,
      "UPDATE_ROLLBACK_FAILED",
      `The following resource(s) failed to update: [${failed.join(", ")}]. `,
      now(scope),
    );
    return;
  }
  updateStack(db, stack.stackId, { previous: { ...previous, discard } });
  setStackStatus(db, stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", null, now(scope));
  await cleanup(scope, findStack(db, stack.stackId), "UPDATE_ROLLBACK_COMPLETE");
}
