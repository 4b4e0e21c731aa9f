import { randomUUID } from "node:crypto";
import { AwsError, CloudFormation } from "@scaleout/core";
import { providerOf } from "./cfn-providers/index.ts";
import { awaitSignals, creationStart, lastEventSeq } from "./cfn-signals.ts";
import {
  addEvent,
  putResource,
  type ResourceSnapshot,
  type StackResourceRow,
  type StackRow,
} from "./cfn-store.ts";
import type { Services } from "./index.ts";

type TemplateValue = CloudFormation.TemplateValue;

/*
 * One resource's create, update and delete as the executor runs them: the provider's call between
 * CloudFormation's resource events. None throws: a failure is the resource's *_FAILED status, and the
 * message returned names the cause, in CloudFormation's words.
 */

const handlerCodes: Array<[RegExp, string]> = [
  [/NotFound|not found|does not exist/i, "NotFound"],
  [/Duplicate|AlreadyExists|already exists/i, "AlreadyExists"],
  [/Limit|TooMany/i, "ServiceLimitExceeded"],
  [/InUse|in use/i, "ResourceConflict"],
];

/** A provider's error as CloudFormation words a resource handler's failure. */
export function handlerMessage(error: unknown): string {
  if (error instanceof AwsError) {
    const code =
      handlerCodes.find(([pattern]) => pattern.test(`${error.code} ${error.message}`))?.[1] ??
      "InvalidRequest";
    return `Resource handler returned message: "${error.message} (Status Code: ${error.statusCode}, Error Code: ${error.code})" (HandlerErrorCode: ${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Resource handler returned message: "${message}" (HandlerErrorCode: GeneralServiceException)`;
}

export interface ActionScope {
  services: Services;
  stack: Pick<StackRow, "stackId" | "name">;
}

const request = (
  scope: ActionScope,
  logicalId: string,
  properties: Record<string, TemplateValue>,
  token = createToken(scope.stack.stackId, logicalId),
) => ({
  services: scope.services,
  stackName: scope.stack.name,
  logicalId,
  properties,
  now: () => scope.services.ctx.now(),
  token,
});

/**
 * The token of a resource's create in the stack's creation: a stack is created once under its id, so
 * the stack id and the logical id name that create, and a resumed create comes to the same token. 32 hex
 * digits, which ACM's IdempotencyToken takes.
 */
export const createToken = (stackId: string, logicalId: string): string =>
  CloudFormation.seededHex(`${stackId}|${logicalId}`, 32);

const withRef = (physicalId: string, attributes: Record<string, TemplateValue>) => ({
  Ref: physicalId,
  ...attributes,
});

/**
 * Creates a resource (`phase` CREATE, or UPDATE when an update adds or replaces it). Returns the
 * failure message, or undefined once it is complete. `resuming`: the stack's create stopped inside this
 * resource's provider call; the provider adopts what that call made, or creates it now. A resource whose
 * CreationPolicy (resolved by `creationPolicy`) asks for signals stays in progress until they arrive
 * (cfn-signals.ts).
 */
export async function createResource(
  scope: ActionScope,
  logicalId: string,
  type: string,
  resolve: () => Record<string, TemplateValue>,
  phase: "CREATE" | "UPDATE" = "CREATE",
  firstReason: string | null = null,
  resuming = false,
  creationPolicy?: () => TemplateValue | undefined,
): Promise<string | undefined> {
  const db = scope.services.ctx.db;
  const now = () => scope.services.ctx.now();
  const stackId = scope.stack.stackId;
  // Signals recorded from here on are this creation's, and its Timeout counts from here; a resumed
  // create goes on from where the stopped one began, keeping the signals that came meanwhile.
  const { since, startedAt } = resuming
    ? creationStart(db, stackId, logicalId, now())
    : { since: lastEventSeq(db, stackId), startedAt: now() };
  let properties: Record<string, TemplateValue> = {};
  let physicalId: string | null = null;
  const write = (status: string, reason: string | null, attributes: Record<string, TemplateValue> = {}) =>
    putResource(
      db,
      stackId,
      { logicalId, type, physicalId, status, statusReason: reason, properties, attributes },
      now(),
    );
  try {
    properties = resolve();
    write(`${phase}_IN_PROGRESS`, resuming ? "Resumed: the worker running the create stopped" : firstReason);
    const provider = providerOf(type);
    if (provider === undefined) throw new Error(`Unrecognized resource type ${type}`);
    // Within an update an add or a replacement is a create of its own: each gets a new token.
    const token =
      phase === "CREATE" ? createToken(scope.stack.stackId, logicalId) : randomUUID().replaceAll("-", "");
    const call = request(scope, logicalId, properties, token);
    const adopted = resuming ? await provider.adopt?.(call) : undefined;
    const result = adopted ?? (await provider.create(call));
    physicalId = result.physicalId;
    write(`${phase}_IN_PROGRESS`, "Resource creation Initiated");
    const policy = CloudFormation.signalPolicyOf(creationPolicy?.());
    if (policy !== undefined) {
      const failure = await awaitSignals(scope.services.ctx, {
        stackId,
        logicalId,
        since,
        startedAt,
        policy,
      });
      if (failure !== undefined) {
        write(`${phase}_FAILED`, failure, withRef(result.physicalId, result.attributes));
        return failure;
      }
    }
    write(`${phase}_COMPLETE`, null, withRef(result.physicalId, result.attributes));
    return undefined;
  } catch (error) {
    const message = handlerMessage(error);
    write(`${phase}_FAILED`, message);
    return message;
  }
}

/** Updates a resource in place (the provider's update) to `properties`. */
export async function updateResource(
  scope: ActionScope,
  row: Pick<StackResourceRow, "logicalId" | "type" | "physicalId" | "properties">,
  properties: Record<string, TemplateValue>,
  previous: Record<string, TemplateValue>,
  updatePolicy?: TemplateValue,
): Promise<string | undefined> {
  const db = scope.services.ctx.db;
  const now = () => scope.services.ctx.now();
  const { logicalId, type, physicalId } = row;
  const write = (status: string, reason: string | null, attributes: Record<string, TemplateValue> = {}) =>
    putResource(
      db,
      scope.stack.stackId,
      { logicalId, type, physicalId, status, statusReason: reason, properties, attributes },
      now(),
    );
  try {
    const provider = providerOf(type);
    if (provider?.update === undefined || physicalId === null)
      throw new Error(`${type} cannot be updated in place`);
    write("UPDATE_IN_PROGRESS", null);
    const result = await provider.update({
      ...request(scope, logicalId, properties),
      physicalId,
      previous,
      ...(updatePolicy !== undefined && { updatePolicy }),
    });
    write("UPDATE_COMPLETE", null, withRef(result.physicalId, result.attributes));
    return undefined;
  } catch (error) {
    const message = handlerMessage(error);
    write("UPDATE_FAILED", message);
    return message;
  }
}

/**
 * Deletes a physical resource. `row: true` moves the resource's row through DELETE_*; otherwise (an old
 * physical resource of a replaced one, in cleanup) only events are written. Retain skips the delete.
 */
export async function deleteResource(
  scope: ActionScope,
  resource: Pick<ResourceSnapshot, "logicalId" | "type" | "physicalId" | "properties" | "attributes">,
  options: { policy?: string | undefined; row: boolean },
): Promise<string | undefined> {
  const db = scope.services.ctx.db;
  const now = () => scope.services.ctx.now();
  const { logicalId, type, physicalId, properties, attributes } = resource;
  const write = (status: string, reason: string | null) => {
    if (options.row)
      putResource(
        db,
        scope.stack.stackId,
        { logicalId, type, physicalId, status, statusReason: reason, properties, attributes },
        now(),
      );
    else putEvent(scope, { logicalId, type, physicalId, status, reason });
  };
  if (options.policy === "Retain" || options.policy === "RetainExceptOnCreate") {
    write("DELETE_SKIPPED", null);
    return undefined;
  }
  if (physicalId === null) {
    write("DELETE_COMPLETE", null);
    return undefined;
  }
  write("DELETE_IN_PROGRESS", null);
  try {
    const provider = providerOf(type);
    if (provider !== undefined)
      await provider.delete({ ...request(scope, logicalId, properties), physicalId });
    write("DELETE_COMPLETE", null);
    return undefined;
  } catch (error) {
    const message = handlerMessage(error);
    write("DELETE_FAILED", message);
    return message;
  }
}

function putEvent(
  scope: ActionScope,
  event: {
    logicalId: string;
    type: string;
    physicalId: string | null;
    status: string;
    reason: string | null;
  },
): void {
  addEvent(scope.services.ctx.db, scope.stack.stackId, event, scope.services.ctx.now());
}
