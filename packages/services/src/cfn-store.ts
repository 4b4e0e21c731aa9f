import { randomUUID } from "node:crypto";
import { type CloudFormation, Errors } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import { and, asc, desc, eq, isNull, max, or } from "drizzle-orm";

/*
 * The stack store: stacks, their resources and events, in CloudFormation's statuses and shapes. Plain
 * writes (no configuration version): nothing the proxy routes on lives here, the services the providers
 * call bump it for what they change.
 */

const { cfnStacks, cfnStackResources, cfnStackEvents } = schema;
export type StackRow = typeof cfnStacks.$inferSelect;
export type StackResourceRow = typeof cfnStackResources.$inferSelect;
export type StackEventRow = typeof cfnStackEvents.$inferSelect;

/** The stack's own events name it as a resource of this type. */
export const stackType = "AWS::CloudFormation::Stack";

/** Statuses an operation is under way in: the executor owns the stack until it leaves them. */
export const inProgressStatuses = [
  "CREATE_IN_PROGRESS",
  "ROLLBACK_IN_PROGRESS",
  "DELETE_IN_PROGRESS",
  "UPDATE_IN_PROGRESS",
  "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_ROLLBACK_IN_PROGRESS",
  "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
] as const;

export const isInProgress = (status: string): boolean =>
  (inProgressStatuses as readonly string[]).includes(status);

/** A resource as the stack held it before an update, kept for cleanup and for UPDATE_ROLLBACK. */
export interface ResourceSnapshot {
  logicalId: string;
  type: string;
  physicalId: string | null;
  status: string;
  properties: Record<string, CloudFormation.TemplateValue>;
  attributes: Record<string, CloudFormation.TemplateValue>;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
}

/** What `previous` holds while an update runs (a type, so it is a JSON column's record). */
export type PreviousState = {
  templateBody: string;
  parameters: Array<Record<string, unknown>>;
  outputs: Array<Record<string, unknown>>;
  resources: ResourceSnapshot[];
  /** Physical resources left to delete by the cleanup phase (replaced or removed ones). */
  discard?: ResourceSnapshot[];
};

export function stackArn(region: string, accountId: string, name: string): string {
  return `arn:aws:cloudformation:${region}:${accountId}:stack/${name}/${randomUUID()}`;
}

/** A stack by name (the live one) or by id (live or deleted), or CloudFormation's ValidationError. */
export function findStack(db: Db, nameOrId: string): StackRow {
  const row = nameOrId.startsWith("arn:")
    ? db.select().from(cfnStacks).where(eq(cfnStacks.stackId, nameOrId)).get()
    : db
        .select()
        .from(cfnStacks)
        .where(and(eq(cfnStacks.name, nameOrId), isNull(cfnStacks.deletedAt)))
        .get();
  if (!row) throw new Errors.ValidationError(`Stack with id ${nameOrId} does not exist`);
  return row;
}

export function stackResources(db: Db, stackId: string): StackResourceRow[] {
  return db.select().from(cfnStackResources).where(eq(cfnStackResources.stackId, stackId)).all();
}

export function stacksInProgress(db: Db): StackRow[] {
  return db
    .select()
    .from(cfnStacks)
    .where(or(...inProgressStatuses.map((status) => eq(cfnStacks.status, status))))
    .all();
}

export function stackEvents(db: Db, stackId: string): StackEventRow[] {
  return db
    .select()
    .from(cfnStackEvents)
    .where(eq(cfnStackEvents.stackId, stackId))
    .orderBy(desc(cfnStackEvents.timestamp), desc(cfnStackEvents.seq))
    .all();
}

export interface EventInput {
  logicalId: string;
  physicalId: string | null;
  type: string;
  status: string;
  reason?: string | null;
  properties?: Record<string, unknown>;
}

export function addEvent(db: Db, stackId: string, event: EventInput, now: number): void {
  db.transaction((tx) => {
    const last = tx
      .select({ seq: max(cfnStackEvents.seq) })
      .from(cfnStackEvents)
      .where(eq(cfnStackEvents.stackId, stackId))
      .get();
    tx.insert(cfnStackEvents)
      .values({
        eventId: randomUUID(),
        stackId,
        logicalId: event.logicalId,
        physicalId: event.physicalId,
        type: event.type,
        status: event.status,
        statusReason: event.reason ?? null,
        properties: event.properties === undefined ? null : JSON.stringify(event.properties),
        timestamp: now,
        seq: (last?.seq ?? 0) + 1,
      })
      .run();
  });
}

/** Moves the stack to `status` and records the stack's own event. */
export function setStackStatus(
  db: Db,
  stack: StackRow,
  status: string,
  reason: string | null,
  now: number,
): void {
  db.update(cfnStacks)
    .set({ status, statusReason: reason, ...(status === "DELETE_COMPLETE" && { deletedAt: now }) })
    .where(eq(cfnStacks.stackId, stack.stackId))
    .run();
  addEvent(
    db,
    stack.stackId,
    { logicalId: stack.name, physicalId: stack.stackId, type: stackType, status, reason },
    now,
  );
}

export function updateStack(db: Db, stackId: string, change: Partial<StackRow>): void {
  db.update(cfnStacks).set(change).where(eq(cfnStacks.stackId, stackId)).run();
}

/** Writes a resource's row (insert or replace) and its event. */
export function putResource(
  db: Db,
  stackId: string,
  resource: Omit<StackResourceRow, "stackId" | "updatedAt" | "statusReason"> & {
    statusReason?: string | null;
  },
  now: number,
  event = true,
): void {
  const row: StackResourceRow = {
    ...resource,
    stackId,
    statusReason: resource.statusReason ?? null,
    updatedAt: now,
  };
  db.insert(cfnStackResources)
    .values(row)
    .onConflictDoUpdate({ target: [cfnStackResources.stackId, cfnStackResources.logicalId], set: row })
    .run();
  if (event)
    addEvent(
      db,
      stackId,
      {
        logicalId: row.logicalId,
        physicalId: row.physicalId,
        type: row.type,
        status: row.status,
        reason: row.statusReason,
        ...(row.status.endsWith("_IN_PROGRESS") && { properties: row.properties }),
      },
      now,
    );
}

export function removeResource(db: Db, stackId: string, logicalId: string): void {
  db.delete(cfnStackResources)
    .where(and(eq(cfnStackResources.stackId, stackId), eq(cfnStackResources.logicalId, logicalId)))
    .run();
}

export function listStacks(db: Db): StackRow[] {
  return db.select().from(cfnStacks).orderBy(desc(cfnStacks.createdAt), asc(cfnStacks.name)).all();
}
