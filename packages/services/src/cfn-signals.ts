import { setTimeout as delay } from "node:timers/promises";
import { CloudFormation, Errors } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import { and, asc, eq, gt, max } from "drizzle-orm";
import { addEvent, findStack, stackResources } from "./cfn-store.ts";
import type { ServiceContext } from "./context.ts";

/*
 * Resource signals (CreationPolicy). SignalResource, as an instance sends it (cfn-signal, or
 * `aws cloudformation signal-resource`), is written as the stack event CloudFormation shows for it
 * ("Received SUCCESS signal with UniqueId i-..."); the executor, waiting in the worker, reads the
 * signals back from those events. The events are the record: no table of their own, and a signal
 * survives the api and the worker restarting.
 */

const { cfnStackEvents } = schema;

export interface SignalInput {
  stackName: string;
  logicalResourceId: string;
  uniqueId: string;
  status: string;
}

/** The statuses in which a resource can take a signal: it is being created (or, replaced, updated). */
const signalable = ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"];

export function signalResource(ctx: ServiceContext, input: SignalInput): void {
  if (input.status !== "SUCCESS" && input.status !== "FAILURE")
    throw new Errors.ValidationError(
      `1 validation error detected: Value '${input.status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]`,
    );
  if (input.uniqueId.length < 1 || input.uniqueId.length > 64)
    throw new Errors.ValidationError(
      "1 validation error detected: Value at 'uniqueId' failed to satisfy constraint: Member must have length between 1 and 64",
    );
  const stack = findStack(ctx.db, input.stackName);
  if (stack.deletedAt !== null)
    throw new Errors.ValidationError(`Stack with id ${input.stackName} does not exist`);
  const row = stackResources(ctx.db, stack.stackId).find((r) => r.logicalId === input.logicalResourceId);
  if (row === undefined)
    throw new Errors.ValidationError(
      `Resource ${input.logicalResourceId} does not exist for stack ${stack.name}`,
    );
  if (!signalable.includes(row.status))
    throw new Errors.ValidationError(
      `Resource ${input.logicalResourceId} is in ${row.status} state and cannot be signaled`,
    );
  addEvent(
    ctx.db,
    stack.stackId,
    {
      logicalId: row.logicalId,
      physicalId: row.physicalId,
      type: row.type,
      status: row.status,
      reason: CloudFormation.signalEventReason(input.status, input.uniqueId),
    },
    ctx.now(),
  );
}

/** The stack's last event sequence number: signals after it belong to what starts now. */
export function lastEventSeq(db: Db, stackId: string): number {
  return (
    db
      .select({ seq: max(cfnStackEvents.seq) })
      .from(cfnStackEvents)
      .where(eq(cfnStackEvents.stackId, stackId))
      .get()?.seq ?? 0
  );
}

/**
 * Where a stack create's resource began, for a create resumed after the worker stopped: its first event
 * (a stack's create makes each resource once, so all its events are this creation's).
 */
export function creationStart(
  db: Db,
  stackId: string,
  logicalId: string,
  now: number,
): { since: number; startedAt: number } {
  const first = db
    .select({ seq: cfnStackEvents.seq, timestamp: cfnStackEvents.timestamp })
    .from(cfnStackEvents)
    .where(and(eq(cfnStackEvents.stackId, stackId), eq(cfnStackEvents.logicalId, logicalId)))
    .orderBy(asc(cfnStackEvents.seq))
    .limit(1)
    .get();
  return first === undefined
    ? { since: lastEventSeq(db, stackId), startedAt: now }
    : { since: first.seq - 1, startedAt: first.timestamp };
}

function signalsSince(
  db: Db,
  stackId: string,
  logicalId: string,
  seq: number,
): CloudFormation.ReceivedSignal[] {
  return db
    .select({ reason: cfnStackEvents.statusReason })
    .from(cfnStackEvents)
    .where(
      and(
        eq(cfnStackEvents.stackId, stackId),
        eq(cfnStackEvents.logicalId, logicalId),
        gt(cfnStackEvents.seq, seq),
      ),
    )
    .orderBy(asc(cfnStackEvents.seq))
    .all()
    .flatMap((event) => CloudFormation.signalOfEventReason(event.reason) ?? []);
}

/** How often the waiting executor looks for new signals (one indexed query a stack). */
const pollMs = 200;

/**
 * Waits until the resource's signals satisfy `policy`, counting the signals recorded after event `since`
 * and the timeout from `startedAt` (when its creation began). Returns the failure's reason, or undefined.
 */
export async function awaitSignals(
  ctx: ServiceContext,
  wait: {
    stackId: string;
    logicalId: string;
    since: number;
    startedAt: number;
    policy: CloudFormation.SignalPolicy;
  },
): Promise<string | undefined> {
  for (;;) {
    const verdict = CloudFormation.signalVerdict(
      wait.policy,
      signalsSince(ctx.db, wait.stackId, wait.logicalId, wait.since),
      ctx.now() - wait.startedAt,
    );
    if (verdict.state === "complete") return undefined;
    if (verdict.state === "failed") return verdict.reason;
    await delay(pollMs);
  }
}
