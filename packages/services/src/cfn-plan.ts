import { CloudFormation } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import { eq } from "drizzle-orm";
import { storedResolvedValues } from "./cfn-ssm-parameters.ts";
import type { StackResourceRow, StackRow } from "./cfn-store.ts";
import type { ServiceContext } from "./context.ts";

type TemplateValue = CloudFormation.TemplateValue;

/** Parameters as stored on the stack (the wire's ParameterKey / ParameterValue / UsePreviousValue). */
export function parameterInputs(stored: Array<Record<string, unknown>>): CloudFormation.ParameterInput[] {
  return stored.map((p) => ({
    key: String(p.ParameterKey ?? ""),
    ...(typeof p.ParameterValue === "string" && { value: p.ParameterValue }),
    ...(p.UsePreviousValue === true && { usePreviousValue: true }),
  }));
}

export function pseudoOf(
  ctx: ServiceContext,
  stack: Pick<StackRow, "name" | "stackId">,
): CloudFormation.PseudoParameters {
  const { partition, urlSuffix } = CloudFormation.partitionOf(ctx.partition.region);
  return {
    region: ctx.partition.region,
    accountId: ctx.partition.accountId,
    stackName: stack.name,
    stackId: stack.stackId,
    partition,
    urlSuffix,
    notificationArns: [],
  };
}

/** The plan of a stored template and parameters (already validated when they were accepted). */
export function planOf(
  ctx: ServiceContext,
  stack: Pick<StackRow, "name" | "stackId">,
  templateBody: string,
  parameters: Array<Record<string, unknown>>,
  previousParameters?: Record<string, string>,
): CloudFormation.StackPlan {
  const template = CloudFormation.validateTemplateBody(templateBody);
  return CloudFormation.planStack(template, {
    parameters: parameterInputs(parameters),
    resolvedParameters: storedResolvedValues(parameters),
    ...(previousParameters !== undefined && { previousParameters }),
    pseudo: pseudoOf(ctx, stack),
  });
}

/** Refs, GetAtts and imports over the stack's resource rows and the account's exports. */
export function resourceValues(db: Db, rows: () => StackResourceRow[]): CloudFormation.ResourceValues {
  const find = (id: string) => rows().find((r) => r.logicalId === id && r.physicalId !== null);
  return {
    ref: (id) => {
      const row = find(id);
      if (row === undefined) return undefined;
      const ref = row.attributes.Ref;
      return typeof ref === "string" ? ref : (row.physicalId ?? undefined);
    },
    getAtt: (id, attribute) => {
      const row = find(id);
      if (row === undefined || !Object.hasOwn(row.attributes, attribute)) return undefined;
      return row.attributes[attribute] as TemplateValue;
    },
    importValue: (name) =>
      db.select().from(schema.cfnExports).where(eq(schema.cfnExports.name, name)).get()?.value,
  };
}

/** A resource's properties with every intrinsic function evaluated. */
export function resolveProperties(
  plan: CloudFormation.StackPlan,
  values: CloudFormation.ResourceValues,
  logicalId: string,
): Record<string, TemplateValue> {
  const declaration = plan.resources[logicalId];
  if (declaration === undefined) return {};
  const resolved = CloudFormation.resolveValue(plan.context(values), declaration.properties);
  return resolved !== null && typeof resolved === "object" && !Array.isArray(resolved) ? resolved : {};
}

/** The stack's outputs resolved, with their export names. */
export function resolveOutputs(plan: CloudFormation.StackPlan, values: CloudFormation.ResourceValues) {
  const context = plan.context(values);
  return Object.entries(plan.outputs).map(([key, output]) => {
    const value = CloudFormation.resolveValue(context, output.value);
    const exportName =
      output.exportName === undefined ? undefined : CloudFormation.resolveValue(context, output.exportName);
    return {
      OutputKey: key,
      OutputValue: Array.isArray(value)
        ? value.join(",")
        : typeof value === "object" && value !== null
          ? JSON.stringify(value)
          : String(value ?? ""),
      ...(output.description !== undefined && { Description: output.description }),
      ...(exportName !== undefined && { ExportName: String(exportName) }),
    };
  });
}
