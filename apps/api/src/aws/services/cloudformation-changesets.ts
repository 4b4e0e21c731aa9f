import { CloudFormation } from "@scaleout/core";
import type { ChangeSetRow, Services, StackRow } from "@scaleout/services";
import { operation } from "../operation.ts";
import { bool, int, list, req, str, struct, ts, unsupported } from "../shapes.ts";
import { Parameter } from "./cloudformation-stacks.ts";

/*
 * Change sets on the door: the path `aws cloudformation deploy` and the CDK take (CreateChangeSet,
 * the change-set-create-complete waiter on DescribeChangeSet, ExecuteChangeSet, the stack waiters).
 */

const iso = (ms: number) => new Date(ms).toISOString();

const ChangeSetSummary = struct({
  stackId: str,
  stackName: str,
  changeSetId: str,
  changeSetName: str,
  executionStatus: str,
  status: str,
  statusReason: str,
  creationTime: ts,
  description: str,
  includeNestedStacks: bool,
});

function summaryOut(stack: StackRow, row: ChangeSetRow) {
  return {
    stackId: stack.stackId,
    stackName: stack.name,
    changeSetId: row.changeSetId,
    changeSetName: row.name,
    executionStatus: row.executionStatus,
    status: row.status,
    statusReason: row.statusReason ?? undefined,
    creationTime: iso(row.createdAt),
    description: row.description ?? undefined,
    includeNestedStacks: false,
  };
}

const Change = struct({
  type: str,
  resourceChange: struct({
    action: str,
    logicalResourceId: str,
    physicalResourceId: str,
    resourceType: str,
    replacement: str,
    scope: list(str),
    details: list(
      struct({
        target: struct({ attribute: str, name: str, requiresRecreation: str }),
        evaluation: str,
        changeSource: str,
      }),
    ),
  }),
});

/** The stored Changes (AWS's PascalCase JSON) in the door's camelCase. */
function camel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camel);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      `${key.charAt(0).toLowerCase()}${key.slice(1)}`,
      camel(member),
    ]),
  );
}

function changesOut(row: ChangeSetRow) {
  // The rows hold the shape the executor computed, in AWS's member names: only re-cased here.
  return camel(row.changes) as Array<{ type?: string; resourceChange?: { action?: string } }>;
}

export const changeSetOperations = {
  CreateChangeSet: operation({
    input: struct({
      stackName: req(str),
      templateBody: str,
      templateURL: unsupported(
        "TemplateURL is not supported by scaleout, which has no S3: pass TemplateBody",
      ),
      usePreviousTemplate: bool,
      parameters: list(Parameter),
      capabilities: list(str),
      resourceTypes: list(str),
      roleARN: str,
      rollbackConfiguration: struct({ monitoringTimeInMinutes: int }),
      notificationARNs: list(str),
      tags: list(struct({ key: str, value: str })),
      changeSetName: req(str),
      clientToken: str,
      description: str,
      changeSetType: str,
      resourcesToImport: unsupported("ChangeSetType IMPORT is not supported by scaleout"),
      includeNestedStacks: bool,
      onStackFailure: str,
      importExistingResources: bool,
      deploymentMode: str,
    }),
    output: struct({ id: str, stackId: str }),
    support: "partial",
    notes:
      "Types CREATE and UPDATE; the change set is complete when the call answers; Tags and RoleARN are ignored",
    run: (input, { services }) => {
      const { changeSetId, stackId } = services.cfnChangeSets.create({
        stackName: input.stackName,
        changeSetName: input.changeSetName,
        changeSetType: input.changeSetType,
        templateBody: input.templateBody,
        usePreviousTemplate: input.usePreviousTemplate,
        parameters: input.parameters,
        capabilities: input.capabilities,
        description: input.description,
      });
      return { id: changeSetId, stackId };
    },
  }),

  DescribeChangeSet: operation({
    input: struct({ changeSetName: req(str), stackName: str, nextToken: str, includePropertyValues: bool }),
    output: struct({
      changeSetName: str,
      changeSetId: str,
      stackId: str,
      stackName: str,
      description: str,
      parameters: list(Parameter),
      creationTime: ts,
      executionStatus: str,
      status: str,
      statusReason: str,
      capabilities: list(str),
      changes: list(Change),
      nextToken: str,
      includeNestedStacks: bool,
    }),
    support: "implemented",
    run: (input, { services }) => {
      const { changeSet, stack } = services.cfnChangeSets.get(input.changeSetName, input.stackName);
      return {
        changeSetName: changeSet.name,
        changeSetId: changeSet.changeSetId,
        stackId: stack.stackId,
        stackName: stack.name,
        description: changeSet.description ?? undefined,
        parameters: changeSet.parameters.map((p) => ({
          parameterKey: String(p.ParameterKey ?? ""),
          parameterValue: String(p.ParameterValue ?? ""),
          ...(typeof p.ResolvedValue === "string" && { resolvedValue: p.ResolvedValue }),
        })),
        creationTime: iso(changeSet.createdAt),
        executionStatus: changeSet.executionStatus,
        status: changeSet.status,
        statusReason: changeSet.statusReason ?? undefined,
        capabilities: changeSet.capabilities,
        changes: changesOut(changeSet),
        includeNestedStacks: false,
      };
    },
  }),

  ExecuteChangeSet: operation({
    input: struct({
      changeSetName: req(str),
      stackName: str,
      clientRequestToken: str,
      disableRollback: bool,
      retainExceptOnCreate: bool,
    }),
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      services.cfnChangeSets.execute(input.changeSetName, input.stackName, input.disableRollback);
      return {};
    },
  }),

  DeleteChangeSet: operation({
    input: struct({ changeSetName: req(str), stackName: str }),
    output: struct({}),
    support: "implemented",
    run: (input, { services }) => {
      services.cfnChangeSets.delete(input.changeSetName, input.stackName);
      return {};
    },
  }),

  ListChangeSets: operation({
    input: struct({ stackName: req(str), nextToken: str }),
    output: struct({ summaries: list(ChangeSetSummary), nextToken: str }),
    support: "implemented",
    run: (input, { services }: { services: Services }) => {
      const stack = services.cfnStacks.get(input.stackName);
      const page = CloudFormation.cfnPage(
        services.cfnChangeSets.list(input.stackName),
        input.nextToken,
        `ListChangeSets:${stack.stackId}`,
        (row) => row.changeSetId,
      );
      return { summaries: page.items.map((row) => summaryOut(stack, row)), nextToken: page.nextToken };
    },
  }),
};
