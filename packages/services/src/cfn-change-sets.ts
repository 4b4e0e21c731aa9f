import { randomUUID } from "node:crypto";
import { AwsError, CloudFormation, Errors } from "@scaleout/core";
import { schema } from "@scaleout/db";
import { and, desc, eq } from "drizzle-orm";
import { checkImportsExist } from "./cfn-imports.ts";
import { planOf, resolveProperties, resourceValues } from "./cfn-plan.ts";
import { providerOf } from "./cfn-providers/index.ts";
import {
  acceptTemplate,
  boundParameters,
  type CfnStackService,
  checkStackName,
  completeStatuses,
  type ParameterWire,
  parameterValues,
  stackArn,
} from "./cfn-stacks.ts";
import {
  addEvent,
  findStack,
  type StackRow,
  setStackStatus,
  stackResources,
  stackType,
  updateStack,
} from "./cfn-store.ts";
import type { ServiceContext } from "./context.ts";

/*
 * Change sets: what `aws cloudformation deploy` and the CDK use. A change set is computed at once (its
 * status is CREATE_COMPLETE when CreateChangeSet answers); executing it starts the stack's create or
 * update exactly as CreateStack and UpdateStack do. A CREATE change set makes the stack in
 * REVIEW_IN_PROGRESS, as CloudFormation does.
 */

const { cfnChangeSets } = schema;
export type ChangeSetRow = typeof cfnChangeSets.$inferSelect;

export interface CreateChangeSetInput {
  stackName: string;
  changeSetName: string;
  changeSetType?: string;
  templateBody?: string;
  usePreviousTemplate?: boolean;
  parameters?: ParameterWire[];
  capabilities?: string[];
  description?: string;
}

const changeSetNamePattern = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const noChanges =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

function changeSetArn(ctx: ServiceContext, name: string): string {
  return `arn:aws:cloudformation:${ctx.partition.region}:${ctx.partition.accountId}:changeSet/${name}/${randomUUID()}`;
}

/** DescribeChangeSet's Changes: what executing it would do to each resource. */
function changesOf(
  ctx: ServiceContext,
  stack: StackRow,
  templateBody: string,
  parameters: Array<Record<string, unknown>>,
  create: boolean,
): Array<Record<string, unknown>> {
  const plan = planOf(ctx, stack, templateBody, parameters);
  const rows = create ? [] : stackResources(ctx.db, stack.stackId);
  const values = resourceValues(ctx.db, () => rows);
  const changes: Array<Record<string, unknown>> = [];
  for (const [logicalId, declaration] of Object.entries(plan.resources)) {
    const row = rows.find((r) => r.logicalId === logicalId);
    if (row === undefined) {
      changes.push({
        Type: "Resource",
        ResourceChange: {
          Action: "Add",
          LogicalResourceId: logicalId,
          ResourceType: declaration.type,
          Scope: [],
          Details: [],
        },
      });
      continue;
    }
    let properties: Record<string, CloudFormation.TemplateValue>;
    try {
      properties = resolveProperties(plan, values, logicalId);
    } catch {
      // A value that depends on a resource the update replaces is only known when it runs.
      properties = { "...": "unknown" };
    }
    const before = row.properties as Record<string, CloudFormation.TemplateValue>;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(properties)])].filter(
      (key) => !CloudFormation.sameValue(before[key], properties[key]),
    );
    if (changed.length === 0 && row.type === declaration.type) continue;
    const provider = providerOf(declaration.type);
    const replacing = CloudFormation.resourceTypeSpec(declaration.type)?.replacing ?? [];
    const replaces = (key: string) =>
      provider?.update === undefined || provider.replaces.includes(key) || replacing.includes(key);
    changes.push({
      Type: "Resource",
      ResourceChange: {
        Action: "Modify",
        LogicalResourceId: logicalId,
        PhysicalResourceId: row.physicalId,
        ResourceType: declaration.type,
        Replacement: changed.some(replaces) ? "True" : "False",
        Scope: ["Properties"],
        Details: changed.map((name) => ({
          Target: {
            Attribute: "Properties",
            Name: name,
            RequiresRecreation: replaces(name) ? "Always" : "Never",
          },
          Evaluation: "Static",
          ChangeSource: "DirectModification",
        })),
      },
    });
  }
  for (const row of rows) {
    if (Object.hasOwn(plan.resources, row.logicalId)) continue;
    changes.push({
      Type: "Resource",
      ResourceChange: {
        Action: "Remove",
        LogicalResourceId: row.logicalId,
        PhysicalResourceId: row.physicalId,
        ResourceType: row.type,
        Scope: [],
        Details: [],
      },
    });
  }
  return changes;
}

export function cfnChangeSetService(ctx: ServiceContext, stacks: CfnStackService) {
  const db = ctx.db;

  function find(changeSetName: string, stackName?: string): ChangeSetRow {
    const row = changeSetName.startsWith("arn:")
      ? db.select().from(cfnChangeSets).where(eq(cfnChangeSets.changeSetId, changeSetName)).get()
      : stackName === undefined
        ? undefined
        : (() => {
            const stack = findOptional(stackName);
            return stack === undefined
              ? undefined
              : db
                  .select()
                  .from(cfnChangeSets)
                  .where(and(eq(cfnChangeSets.stackId, stack.stackId), eq(cfnChangeSets.name, changeSetName)))
                  .get();
          })();
    if (row === undefined) {
      if (!changeSetName.startsWith("arn:") && stackName === undefined)
        throw new Errors.ValidationError(
          "StackName must be specified if ChangeSetName is not specified as an ARN.",
        );
      throw new AwsError("ChangeSetNotFound", 404, `ChangeSet [${changeSetName}] does not exist`);
    }
    return row;
  }

  function findOptional(name: string): StackRow | undefined {
    try {
      const stack = findStack(db, name);
      return stack.deletedAt === null ? stack : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    create(input: CreateChangeSetInput): { changeSetId: string; stackId: string } {
      const type = input.changeSetType ?? "UPDATE";
      if (type !== "CREATE" && type !== "UPDATE")
        throw new Errors.ValidationError(
          type === "IMPORT"
            ? "ChangeSetType IMPORT is not supported by scaleout"
            : `1 validation error detected: Value '${type}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [IMPORT, UPDATE, CREATE]`,
        );
      if (input.changeSetName.length > 128 || !changeSetNamePattern.test(input.changeSetName))
        throw new Errors.ValidationError(
          `1 validation error detected: Value '${input.changeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
        );
      checkStackName(input.stackName);
      let stack = findOptional(input.stackName);
      if (type === "CREATE" && stack !== undefined && stack.status !== "REVIEW_IN_PROGRESS")
        throw new AwsError(
          "AlreadyExistsException",
          400,
          `Stack [${input.stackName}] already exists and cannot be created again with the changeSet [${input.changeSetName}].`,
        );
      if (type === "UPDATE" && stack === undefined)
        throw new Errors.ValidationError(`Stack [${input.stackName}] does not exist`);
      if (type === "UPDATE" && stack !== undefined && !completeStatuses.includes(stack.status))
        throw new Errors.ValidationError(
          `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
        );
      const body = input.usePreviousTemplate === true ? stack?.templateBody : input.templateBody;
      const template = acceptTemplate(body, input.capabilities);
      const identity = stack ?? {
        name: input.stackName,
        stackId: stackArn(ctx.partition.region, ctx.partition.accountId, input.stackName),
      };
      const parameters = boundParameters(
        ctx,
        template,
        identity,
        input.parameters,
        stack === undefined ? undefined : parameterValues(stack),
      );
      checkImportsExist(ctx, identity, body ?? "", parameters);
      if (stack === undefined) {
        stack = {
          stackId: identity.stackId,
          name: input.stackName,
          status: "REVIEW_IN_PROGRESS",
          statusReason: "User Initiated",
          description: template.description ?? null,
          templateBody: body ?? "",
          parameters,
          outputs: [],
          capabilities: input.capabilities ?? [],
          disableRollback: false,
          terminationProtection: false,
          previous: null,
          createdAt: ctx.now(),
          updatedAt: null,
          deletedAt: null,
        };
        db.insert(schema.cfnStacks).values(stack).run();
        addEvent(
          db,
          stack.stackId,
          {
            logicalId: stack.name,
            physicalId: stack.stackId,
            type: stackType,
            status: stack.status,
            reason: "User Initiated",
          },
          ctx.now(),
        );
      }
      const changes = changesOf(ctx, stack, body ?? "", parameters, type === "CREATE");
      const empty =
        type === "UPDATE" &&
        changes.length === 0 &&
        CloudFormation.sameValue(
          parameters as CloudFormation.TemplateValue,
          stack.parameters as CloudFormation.TemplateValue,
        );
      const row: ChangeSetRow = {
        changeSetId: changeSetArn(ctx, input.changeSetName),
        name: input.changeSetName,
        stackId: stack.stackId,
        changeSetType: type,
        status: empty ? "FAILED" : "CREATE_COMPLETE",
        executionStatus: empty ? "UNAVAILABLE" : "AVAILABLE",
        statusReason: empty ? noChanges : null,
        description: input.description ?? null,
        templateBody: body ?? "",
        parameters,
        capabilities: input.capabilities ?? [],
        changes,
        createdAt: ctx.now(),
      };
      try {
        db.insert(cfnChangeSets).values(row).run();
      } catch {
        throw new AwsError("AlreadyExistsException", 400, `ChangeSet ${input.changeSetName} already exists`);
      }
      return { changeSetId: row.changeSetId, stackId: stack.stackId };
    },

    get: (changeSetName: string, stackName?: string) => {
      const row = find(changeSetName, stackName);
      return { changeSet: row, stack: findStack(db, row.stackId) };
    },

    list(stackName: string): ChangeSetRow[] {
      const stack = findStack(db, stackName);
      return db
        .select()
        .from(cfnChangeSets)
        .where(eq(cfnChangeSets.stackId, stack.stackId))
        .orderBy(desc(cfnChangeSets.createdAt))
        .all();
    },

    delete(changeSetName: string, stackName?: string): void {
      const row = find(changeSetName, stackName);
      if (row.executionStatus === "EXECUTE_IN_PROGRESS")
        throw new AwsError(
          "InvalidChangeSetStatus",
          400,
          `Cannot delete ChangeSet in status ${row.executionStatus}`,
        );
      db.delete(cfnChangeSets).where(eq(cfnChangeSets.changeSetId, row.changeSetId)).run();
    },

    execute(changeSetName: string, stackName?: string, disableRollback?: boolean): void {
      const row = find(changeSetName, stackName);
      if (row.executionStatus !== "AVAILABLE")
        throw new AwsError(
          "InvalidChangeSetStatus",
          400,
          `ChangeSet [${row.changeSetId}] cannot be executed in its current execution status of [${row.executionStatus}]`,
        );
      const stack = findStack(db, row.stackId);
      if (row.changeSetType === "CREATE") {
        if (stack.status !== "REVIEW_IN_PROGRESS")
          throw new Errors.ValidationError(
            `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
          );
        updateStack(db, stack.stackId, {
          templateBody: row.templateBody,
          parameters: row.parameters,
          capabilities: row.capabilities,
          disableRollback: disableRollback === true,
        });
        setStackStatus(db, stack, "CREATE_IN_PROGRESS", "User Initiated", ctx.now());
      } else {
        if (!completeStatuses.includes(stack.status))
          throw new Errors.ValidationError(
            `Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`,
          );
        stacks.startUpdate(stack, row.templateBody, row.parameters, row.capabilities);
      }
      // The stack's other change sets describe a state that no longer is.
      db.update(cfnChangeSets)
        .set({ executionStatus: "OBSOLETE" })
        .where(eq(cfnChangeSets.stackId, stack.stackId))
        .run();
      db.update(cfnChangeSets)
        .set({ executionStatus: "EXECUTE_COMPLETE" })
        .where(eq(cfnChangeSets.changeSetId, row.changeSetId))
        .run();
    },
  };
}
