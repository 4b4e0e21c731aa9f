import { AwsError, CloudFormation, Errors } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { checkImportsExist, exportInUseOnDelete, listImports } from "./cfn-imports.ts";
import { planOf, pseudoOf } from "./cfn-plan.ts";
import { providerOf } from "./cfn-providers/index.ts";
import { type SignalInput, signalResource } from "./cfn-signals.ts";
import { bindStackParameters } from "./cfn-ssm-parameters.ts";
import {
  addEvent,
  findStack,
  isInProgress,
  listStacks,
  type PreviousState,
  type StackRow,
  setStackStatus,
  stackEvents,
  stackResources,
  stackType,
  stackArn as storeArn,
  updateStack,
} from "./cfn-store.ts";

export { stackArn } from "./cfn-store.ts";

import type { ServiceContext } from "./context.ts";

/*
 * CloudFormation's stack operations as the door asks for them: each checks its input and the stack's
 * state, writes the request (status *_IN_PROGRESS with the user's event) and returns at once; the
 * executor in the worker (cfn-executor.ts) carries the operation out.
 */

export interface ParameterWire {
  parameterKey?: string;
  parameterValue?: string;
  usePreviousValue?: boolean;
}

export interface CreateStackInput {
  stackName: string;
  templateBody?: string;
  parameters?: ParameterWire[];
  capabilities?: string[];
  disableRollback?: boolean;
  onFailure?: string;
  enableTerminationProtection?: boolean;
  description?: string;
}

export interface UpdateStackInput {
  stackName: string;
  templateBody?: string;
  usePreviousTemplate?: boolean;
  parameters?: ParameterWire[];
  capabilities?: string[];
  disableRollback?: boolean;
}

const stackNamePattern = /^[a-zA-Z][-a-zA-Z0-9]*$/;
export const completeStatuses = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"];

export function checkStackName(name: string): void {
  if (name.length > 128 || !stackNamePattern.test(name))
    throw new Errors.ValidationError(
      `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*`,
    );
}

/** A template body checked as CreateStack checks it: its shape, its resource types, its capabilities. */
export function acceptTemplate(
  body: string | undefined,
  capabilities: string[] = [],
): CloudFormation.Template {
  if (body === undefined)
    throw new Errors.ValidationError("Either Template URL or Template Body must be specified.");
  const template = CloudFormation.validateTemplateBody(body, CloudFormation.maxInlineTemplateBytes);
  const unknown = [...new Set(Object.values(template.resources).map((r) => r.type))].filter(
    (type) => providerOf(type) === undefined,
  );
  if (unknown.length > 0)
    throw new Errors.ValidationError(
      `Template format error: Unrecognized resource types: [${unknown.join(", ")}]`,
    );
  const needed = CloudFormation.templateCapabilities(template).capabilities;
  const granted = capabilities.includes("CAPABILITY_NAMED_IAM")
    ? ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    : capabilities;
  const missing = needed.filter((capability) => !granted.includes(capability));
  if (missing.length > 0)
    throw new AwsError(
      "InsufficientCapabilitiesException",
      400,
      `Requires capabilities : [${missing.join(", ")}]`,
    );
  return template;
}

const toInputs = (parameters: ParameterWire[] = []): CloudFormation.ParameterInput[] =>
  parameters.map((p) => ({
    key: p.parameterKey ?? "",
    ...(p.parameterValue !== undefined && { value: p.parameterValue }),
    ...(p.usePreviousValue === true && { usePreviousValue: true }),
  }));

/**
 * Binds the parameters (CloudFormation's errors for missing or disallowed ones), resolves the SSM-typed
 * ones and checks the Rules (cfn-ssm-parameters.ts), and stores every value.
 */
export function boundParameters(
  ctx: ServiceContext,
  template: CloudFormation.Template,
  stack: Pick<StackRow, "name" | "stackId">,
  parameters: ParameterWire[] | undefined,
  previous?: Record<string, string>,
): Array<Record<string, unknown>> {
  return bindStackParameters(ctx.db, template, {
    parameters: toInputs(parameters),
    ...(previous !== undefined && { previousParameters: previous }),
    pseudo: pseudoOf(ctx, stack),
  });
}

export const parameterValues = (stack: StackRow): Record<string, string> =>
  Object.fromEntries(stack.parameters.map((p) => [String(p.ParameterKey), String(p.ParameterValue ?? "")]));

export function cfnStackService(ctx: ServiceContext) {
  const db = ctx.db;

  function liveStack(name: string): StackRow | undefined {
    try {
      const stack = findStack(db, name);
      return stack.deletedAt === null ? stack : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts an update of a complete stack to `templateBody` and `parameters` (UpdateStack, ExecuteChangeSet). */
  function startUpdate(
    stack: StackRow,
    templateBody: string,
    parameters: Array<Record<string, unknown>>,
    capabilities: string[],
  ) {
    const previous: PreviousState = {
      templateBody: stack.templateBody,
      parameters: stack.parameters,
      outputs: stack.outputs,
      resources: stackResources(db, stack.stackId).map((row) => {
        const declaration = declarationOf(stack, row.logicalId);
        return {
          logicalId: row.logicalId,
          type: row.type,
          physicalId: row.physicalId,
          status: row.status,
          properties: row.properties as Record<string, CloudFormation.TemplateValue>,
          attributes: row.attributes as Record<string, CloudFormation.TemplateValue>,
          ...(declaration?.deletionPolicy !== undefined && { deletionPolicy: declaration.deletionPolicy }),
          ...(declaration?.updateReplacePolicy !== undefined && {
            updateReplacePolicy: declaration.updateReplacePolicy,
          }),
        };
      }),
    };
    updateStack(db, stack.stackId, {
      templateBody,
      parameters,
      capabilities,
      previous,
      updatedAt: ctx.now(),
    });
    setStackStatus(db, stack, "UPDATE_IN_PROGRESS", "User Initiated", ctx.now());
  }

  function declarationOf(stack: StackRow, logicalId: string) {
    try {
      return planOf(ctx, stack, stack.templateBody, stack.parameters).resources[logicalId];
    } catch {
      return undefined;
    }
  }

  return {
    create(input: CreateStackInput): string {
      checkStackName(input.stackName);
      if (input.disableRollback !== undefined && input.onFailure !== undefined)
        throw new Errors.ValidationError("You cannot specify both OnFailure and DisableRollback.");
      if (input.onFailure === "DELETE")
        throw new Errors.ValidationError(
          "OnFailure DELETE is not supported by scaleout: use ROLLBACK or DO_NOTHING",
        );
      const template = acceptTemplate(input.templateBody, input.capabilities);
      if (liveStack(input.stackName) !== undefined)
        throw new AwsError("AlreadyExistsException", 400, `Stack [${input.stackName}] already exists`);
      const stackId = storeArn(ctx.partition.region, ctx.partition.accountId, input.stackName);
      const parameters = boundParameters(ctx, template, { name: input.stackName, stackId }, input.parameters);
      checkImportsExist(ctx, { name: input.stackName, stackId }, input.templateBody ?? "", parameters);
      const stack: StackRow = {
        stackId,
        name: input.stackName,
        status: "CREATE_IN_PROGRESS",
        statusReason: "User Initiated",
        description: template.description ?? null,
        templateBody: input.templateBody ?? "",
        parameters,
        outputs: [],
        capabilities: input.capabilities ?? [],
        disableRollback: input.disableRollback === true || input.onFailure === "DO_NOTHING",
        terminationProtection: input.enableTerminationProtection === true,
        previous: null,
        createdAt: ctx.now(),
        updatedAt: null,
        deletedAt: null,
      };
      try {
        db.insert(schema.cfnStacks).values(stack).run();
      } catch {
        throw new AwsError("AlreadyExistsException", 400, `Stack [${input.stackName}] already exists`);
      }
      addEvent(
        db,
        stackId,
        {
          logicalId: stack.name,
          physicalId: stackId,
          type: stackType,
          status: stack.status,
          reason: "User Initiated",
        },
        ctx.now(),
      );
      return stackId;
    },

    update(input: UpdateStackInput): string {
      const stack = findStack(db, input.stackName);
      if (!completeStatuses.includes(stack.status))
        throw new Errors.ValidationError(
          `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
        );
      if (input.usePreviousTemplate === true && input.templateBody !== undefined)
        throw new Errors.ValidationError("You cannot specify both usePreviousTemplate and Template Body");
      const body = input.usePreviousTemplate === true ? stack.templateBody : input.templateBody;
      const template = acceptTemplate(body, input.capabilities);
      const parameters = boundParameters(ctx, template, stack, input.parameters, parameterValues(stack));
      const sameTemplate = CloudFormation.sameValue(
        template.body,
        CloudFormation.parseTemplateBody(stack.templateBody),
      );
      const sameParameters = CloudFormation.sameValue(
        parameters as CloudFormation.TemplateValue,
        stack.parameters as CloudFormation.TemplateValue,
      );
      if (sameTemplate && sameParameters) throw new Errors.ValidationError("No updates are to be performed.");
      checkImportsExist(ctx, stack, body ?? "", parameters);
      startUpdate(stack, body ?? "", parameters, input.capabilities ?? stack.capabilities);
      return stack.stackId;
    },

    startUpdate,

    delete(name: string): void {
      const stack = liveStack(name);
      if (stack === undefined) return;
      if (stack.terminationProtection)
        throw new Errors.ValidationError(
          `Stack [${stack.name}] cannot be deleted while TerminationProtection is enabled`,
        );
      if (stack.status === "DELETE_IN_PROGRESS") return;
      if (stack.status === "REVIEW_IN_PROGRESS") {
        setStackStatus(db, stack, "DELETE_COMPLETE", null, ctx.now());
        return;
      }
      if (isInProgress(stack.status))
        throw new Errors.ValidationError(
          `Stack [${stack.name}] cannot be deleted while in status ${stack.status}`,
        );
      const inUse = exportInUseOnDelete(ctx, stack);
      if (inUse !== undefined) {
        // CloudFormation accepts the delete, then the stack goes back to its status with the reason.
        const event = { logicalId: stack.name, physicalId: stack.stackId, type: stackType };
        addEvent(
          db,
          stack.stackId,
          { ...event, status: "DELETE_IN_PROGRESS", reason: "User Initiated" },
          ctx.now(),
        );
        setStackStatus(db, stack, stack.status, inUse, ctx.now());
        return;
      }
      setStackStatus(db, stack, "DELETE_IN_PROGRESS", "User Initiated", ctx.now());
    },

    get: (name: string) => findStack(db, name),
    /** The names of the stack's NoEcho parameters, whose values DescribeStacks masks. */
    noEchoParameters(stack: StackRow): Set<string> {
      const template = CloudFormation.validateTemplateBody(stack.templateBody);
      return new Set(
        Object.entries(template.parameters)
          .filter(([, p]) => p.noEcho)
          .map(([key]) => key),
      );
    },
    list: () => listStacks(db),
    events: (name: string) => stackEvents(db, findStack(db, name).stackId),
    resources: (name: string) => {
      const stack = findStack(db, name);
      return { stack, resources: stackResources(db, stack.stackId) };
    },
    exports: () => db.select().from(schema.cfnExports).orderBy(schema.cfnExports.name).all(),
    imports: (exportName: string) => listImports(ctx, exportName),
    /** SignalResource: a signal for a resource waiting on its CreationPolicy. */
    signal: (input: SignalInput) => signalResource(ctx, input),

    setTerminationProtection(name: string, enabled: boolean): string {
      const stack = findStack(db, name);
      if (stack.deletedAt !== null) throw new Errors.ValidationError(`Stack with id ${name} does not exist`);
      db.update(schema.cfnStacks)
        .set({ terminationProtection: enabled })
        .where(eq(schema.cfnStacks.stackId, stack.stackId))
        .run();
      return stack.stackId;
    },
  };
}

export type CfnStackService = ReturnType<typeof cfnStackService>;
