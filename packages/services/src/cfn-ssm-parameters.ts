import { CloudFormation } from "@scaleout/core";
import { type Db, schema } from "@scaleout/db";
import { and, eq, inArray } from "drizzle-orm";

/*
 * Where a stack's SSM-typed parameters (AWS::SSM::Parameter::Value<...>) find their values: the
 * AWS::SSM::Parameter resources that stacks here hold (a `cdk bootstrap` template deployed to scaleout
 * writes /cdk-bootstrap/<qualifier>/version, a user's own stack can hold an image name), then the public
 * values core documents (ssm-parameters.ts). Resolved at CreateStack, UpdateStack and CreateChangeSet,
 * as CloudFormation resolves them, and stored beside the name as the parameter's ResolvedValue.
 */

/** Statuses in which a stack's parameter resource exists and holds its value. */
const holding = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_FAILED"];

/** The value an AWS::SSM::Parameter of a live stack here holds under `name`, or undefined. */
export function stackParameterValue(db: Db, name: string): string | undefined {
  const rows = db
    .select({ properties: schema.cfnStackResources.properties, deletedAt: schema.cfnStacks.deletedAt })
    .from(schema.cfnStackResources)
    .innerJoin(schema.cfnStacks, eq(schema.cfnStacks.stackId, schema.cfnStackResources.stackId))
    .where(
      and(
        eq(schema.cfnStackResources.type, "AWS::SSM::Parameter"),
        eq(schema.cfnStackResources.physicalId, name),
        inArray(schema.cfnStackResources.status, holding),
      ),
    )
    .all();
  const value = rows.find((row) => row.deletedAt === null)?.properties.Value;
  return typeof value === "string" ? value : undefined;
}

/**
 * Binds CreateStack's, UpdateStack's or CreateChangeSet's parameters, resolves the SSM-typed ones and
 * checks the template's Rules over them: what CloudFormation refuses before it starts an operation.
 * Returns the parameters as the stack stores them (ParameterKey, ParameterValue, and ResolvedValue for
 * SSM-typed ones).
 */
export function bindStackParameters(
  db: Db,
  template: CloudFormation.Template,
  inputs: CloudFormation.StackInputs,
): Array<Record<string, unknown>> {
  const names = CloudFormation.bindParameters(
    template.parameters,
    inputs.parameters,
    inputs.previousParameters,
  );
  const resolved = CloudFormation.resolveSsmParameters(template.parameters, names, (name) =>
    stackParameterValue(db, name),
  );
  const plan = CloudFormation.planStack(template, { ...inputs, resolvedParameters: resolved });
  CloudFormation.checkRules(
    template.body.Rules,
    template.parameters,
    plan.context(CloudFormation.noResources),
  );
  return Object.entries(names).map(([key, bound]) => ({
    ParameterKey: key,
    ParameterValue: bound.value,
    ...(Object.hasOwn(resolved, key) && { ResolvedValue: resolved[key] }),
  }));
}

/** The resolved values a stack stored with its parameters, by key (what planOf hands the plan). */
export function storedResolvedValues(stored: Array<Record<string, unknown>>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const parameter of stored) {
    const key = parameter.ParameterKey;
    const value = parameter.ResolvedValue;
    if (typeof key === "string" && typeof value === "string")
      Object.defineProperty(resolved, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return resolved;
}
