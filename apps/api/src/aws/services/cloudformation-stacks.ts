import { Errors } from "@scaleout/core";
import type { Services, StackEventRow, StackRow } from "@scaleout/services";
import { operation } from "../operation.ts";
import { bool, int, list, req, str, struct, ts, unsupported } from "../shapes.ts";

/*
 * CloudFormation's stack operations on the door (botocore cloudformation 2010-05-15). Each writes the
 * request through services.cfnStacks and answers at once; the worker's cfn-stacks job provisions.
 */

export const Parameter = struct({
  parameterKey: str,
  parameterValue: str,
  usePreviousValue: bool,
  resolvedValue: str,
});
const Output = struct({ outputKey: str, outputValue: str, description: str, exportName: str });
const Tag = struct({ key: str, value: str });

export const Stack = struct({
  stackId: str,
  stackName: str,
  changeSetId: str,
  description: str,
  parameters: list(Parameter),
  creationTime: ts,
  deletionTime: ts,
  lastUpdatedTime: ts,
  stackStatus: str,
  stackStatusReason: str,
  disableRollback: bool,
  capabilities: list(str),
  outputs: list(Output),
  tags: list(Tag),
  enableTerminationProtection: bool,
  driftInformation: struct({ stackDriftStatus: str }),
});

export const StackSummary = struct({
  stackId: str,
  stackName: str,
  templateDescription: str,
  creationTime: ts,
  lastUpdatedTime: ts,
  deletionTime: ts,
  stackStatus: str,
  stackStatusReason: str,
  driftInformation: struct({ stackDriftStatus: str }),
});

export const StackEvent = struct({
  stackId: str,
  eventId: str,
  stackName: str,
  logicalResourceId: str,
  physicalResourceId: str,
  resourceType: str,
  timestamp: ts,
  resourceStatus: str,
  resourceStatusReason: str,
  resourceProperties: str,
});

/** What DescribeStackResources' members and DescribeStackResource's detail share. */
const stackResourceMembers = {
  stackName: str,
  stackId: str,
  logicalResourceId: str,
  physicalResourceId: str,
  resourceType: str,
  resourceStatus: str,
  resourceStatusReason: str,
  description: str,
  driftInformation: struct({ stackResourceDriftStatus: str }),
};

/** DescribeStackResources' member: `Timestamp`, no metadata. */
const StackResource = struct({ ...stackResourceMembers, timestamp: ts });

/** DescribeStackResource's detail: `LastUpdatedTimestamp` and `Metadata` instead. */
const StackResourceDetail = struct({ ...stackResourceMembers, lastUpdatedTimestamp: ts, metadata: str });

export const StackResourceSummary = struct({
  logicalResourceId: str,
  physicalResourceId: str,
  resourceType: str,
  lastUpdatedTimestamp: ts,
  resourceStatus: str,
  resourceStatusReason: str,
  driftInformation: struct({ stackResourceDriftStatus: str }),
});

export const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
const text = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/** The stack's parameters as DescribeStacks shows them: NoEcho values masked. */
function parametersOut(services: Services, stack: StackRow) {
  let noEcho = new Set<string>();
  try {
    noEcho = services.cfnStacks.noEchoParameters(stack);
  } catch {
    // A template that no longer reads masks nothing it cannot name.
  }
  return stack.parameters.map((p) => {
    const key = String(p.ParameterKey ?? "");
    const masked = (value: unknown) => (noEcho.has(key) && value !== undefined ? "****" : text(value));
    return {
      parameterKey: key,
      parameterValue: masked(p.ParameterValue),
      resolvedValue: masked(p.ResolvedValue),
    };
  });
}

export function stackOut(services: Services, stack: StackRow) {
  return {
    stackId: stack.stackId,
    stackName: stack.name,
    description: stack.description ?? undefined,
    parameters: parametersOut(services, stack),
    creationTime: iso(stack.createdAt),
    lastUpdatedTime: iso(stack.updatedAt),
    deletionTime: iso(stack.deletedAt),
    stackStatus: stack.status,
    stackStatusReason: stack.statusReason ?? undefined,
    disableRollback: stack.disableRollback,
    capabilities: stack.capabilities,
    outputs: stack.outputs.map((o) => ({
      outputKey: text(o.OutputKey),
      outputValue: text(o.OutputValue),
      description: text(o.Description),
      exportName: text(o.ExportName),
    })),
    tags: [],
    enableTerminationProtection: stack.terminationProtection,
    driftInformation: { stackDriftStatus: "NOT_CHECKED" },
  };
}

export function eventOut(stack: StackRow, event: StackEventRow) {
  return {
    stackId: stack.stackId,
    eventId: event.eventId,
    stackName: stack.name,
    logicalResourceId: event.logicalId,
    physicalResourceId: event.physicalId ?? "",
    resourceType: event.type,
    timestamp: iso(event.timestamp),
    resourceStatus: event.status,
    resourceStatusReason: event.statusReason ?? undefined,
    resourceProperties: event.properties ?? undefined,
  };
}

const parametersIn = (
  parameters:
    | Array<{ parameterKey?: string; parameterValue?: string; usePreviousValue?: boolean }>
    | undefined,
) => parameters;

const noTemplateUrl = unsupported(
  "TemplateURL is not supported by scaleout, which has no S3: pass the template inline with TemplateBody (up to 51,200 bytes)",
);

export const stackOperations = {
  CreateStack: operation({
    input: struct({
      stackName: req(str),
      templateBody: str,
      templateURL: noTemplateUrl,
      parameters: list(Parameter),
      disableRollback: bool,
      rollbackConfiguration: struct({ monitoringTimeInMinutes: int }),
      timeoutInMinutes: int,
      notificationARNs: list(str),
      capabilities: list(str),
      resourceTypes: list(str),
      roleARN: str,
      onFailure: str,
      stackPolicyBody: str,
      stackPolicyURL: str,
      tags: list(Tag),
      clientRequestToken: str,
      enableTerminationProtection: bool,
      retainExceptOnCreate: bool,
    }),
    output: struct({ stackId: str }),
    support: "partial",
    notes:
      "TemplateBody only (no S3); Tags, NotificationARNs, RoleARN, stack policies and TimeoutInMinutes are accepted and ignored; OnFailure DELETE is refused",
    run: (input, { services }) => ({
      stackId: services.cfnStacks.create({
        stackName: input.stackName,
        templateBody: input.templateBody,
        parameters: parametersIn(input.parameters),
        capabilities: input.capabilities,
        disableRollback: input.disableRollback,
        onFailure: input.onFailure,
        enableTerminationProtection: input.enableTerminationProtection,
      }),
    }),
  }),

  UpdateStack: operation({
    input: struct({
      stackName: req(str),
      templateBody: str,
      templateURL: noTemplateUrl,
      usePreviousTemplate: bool,
      stackPolicyDuringUpdateBody: str,
      stackPolicyDuringUpdateURL: str,
      parameters: list(Parameter),
      capabilities: list(str),
      resourceTypes: list(str),
      roleARN: str,
      rollbackConfiguration: struct({ monitoringTimeInMinutes: int }),
      stackPolicyBody: str,
      stackPolicyURL: str,
      notificationARNs: list(str),
      tags: list(Tag),
      disableRollback: bool,
      clientRequestToken: str,
      retainExceptOnCreate: bool,
    }),
    output: struct({ stackId: str }),
    support: "partial",
    notes: "TemplateBody or UsePreviousTemplate; stack policies, Tags and RoleARN are accepted and ignored",
    run: (input, { services }) => ({
      stackId: services.cfnStacks.update({
        stackName: input.stackName,
        templateBody: input.templateBody,
        usePreviousTemplate: input.usePreviousTemplate,
        parameters: parametersIn(input.parameters),
        capabilities: input.capabilities,
      }),
    }),
  }),

  DeleteStack: operation({
    input: struct({
      stackName: req(str),
      retainResources: list(str),
      roleARN: str,
      clientRequestToken: str,
      deletionMode: str,
    }),
    output: undefined,
    support: "partial",
    notes:
      "RetainResources and DeletionMode are not supported (a failed delete is retried by deleting again)",
    run: (input, { services }) => {
      services.cfnStacks.delete(input.stackName);
      return undefined;
    },
  }),

  DescribeStackResource: operation({
    input: struct({ stackName: req(str), logicalResourceId: req(str) }),
    output: struct({ stackResourceDetail: StackResourceDetail }),
    support: "implemented",
    run: (input, { services }) => {
      const { stack, resources } = services.cfnStacks.resources(input.stackName);
      const row = resources.find((r) => r.logicalId === input.logicalResourceId);
      if (row === undefined)
        throw new Errors.ValidationError(
          `Resource ${input.logicalResourceId} does not exist for stack ${input.stackName}`,
        );
      return { stackResourceDetail: resourceOut(stack, row) };
    },
  }),

  DescribeStackResources: operation({
    input: struct({ stackName: str, logicalResourceId: str, physicalResourceId: str }),
    output: struct({ stackResources: list(StackResource) }),
    support: "partial",
    notes: "StackName is required (lookup by PhysicalResourceId alone is not supported)",
    run: (input, { services }) => {
      if (input.stackName === undefined)
        throw new Errors.ValidationError(
          "StackName is required by scaleout (lookup by PhysicalResourceId alone is not supported)",
        );
      const { stack, resources } = services.cfnStacks.resources(input.stackName);
      return {
        stackResources: resources
          .filter((r) => input.logicalResourceId === undefined || r.logicalId === input.logicalResourceId)
          .filter((r) => input.physicalResourceId === undefined || r.physicalId === input.physicalResourceId)
          .map((r) => resourceOut(stack, r)),
      };
    },
  }),

  GetTemplate: operation({
    input: struct({ stackName: str, changeSetName: str, templateStage: str }),
    output: struct({ templateBody: str, stagesAvailable: list(str) }),
    support: "implemented",
    run: (input, { services }) => {
      if (input.changeSetName !== undefined) {
        const { changeSet } = services.cfnChangeSets.get(input.changeSetName, input.stackName);
        return { templateBody: changeSet.templateBody, stagesAvailable: ["Original", "Processed"] };
      }
      if (input.stackName === undefined)
        throw new Errors.ValidationError("Either StackName or ChangeSetName must be specified.");
      const stack = services.cfnStacks.get(input.stackName);
      return { templateBody: stack.templateBody, stagesAvailable: ["Original", "Processed"] };
    },
  }),

  UpdateTerminationProtection: operation({
    input: struct({ enableTerminationProtection: req(bool), stackName: req(str) }),
    output: struct({ stackId: str }),
    support: "implemented",
    run: (input, { services }) => ({
      stackId: services.cfnStacks.setTerminationProtection(
        input.stackName,
        input.enableTerminationProtection,
      ),
    }),
  }),
};

function resourceOut(
  stack: StackRow,
  row: ReturnType<Services["cfnStacks"]["resources"]>["resources"][number],
) {
  return {
    stackName: stack.name,
    stackId: stack.stackId,
    logicalResourceId: row.logicalId,
    physicalResourceId: row.physicalId ?? undefined,
    resourceType: row.type,
    timestamp: iso(row.updatedAt),
    lastUpdatedTimestamp: iso(row.updatedAt),
    resourceStatus: row.status,
    resourceStatusReason: row.statusReason ?? undefined,
    driftInformation: { stackResourceDriftStatus: "NOT_CHECKED" },
  };
}
