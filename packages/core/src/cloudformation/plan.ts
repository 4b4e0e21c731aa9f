import { evaluateConditions } from "./conditions.ts";
import { type ResourceGraph, resourceGraph } from "./graph.ts";
import type { EvaluationContext, ResourceValues } from "./intrinsics.ts";
import { type BoundParameter, bindParameters, type ParameterInput } from "./parameters.ts";
import { availabilityZonesOf, isPseudoParameter, type PseudoParameters } from "./pseudo-parameters.ts";
import { withResolvedValues } from "./ssm-parameters.ts";
import type { OutputDeclaration, ResourceDeclaration, Template } from "./template.ts";

export interface StackInputs {
  parameters: readonly ParameterInput[];
  /** The stack's previous parameter values, for UsePreviousValue on updates. */
  previousParameters?: Readonly<Record<string, string>>;
  pseudo: PseudoParameters;
  /** The values SSM-typed parameters resolved to (ssm-parameters.ts), by key: what their Ref gives. */
  resolvedParameters?: Readonly<Record<string, string>>;
  /** The zones Fn::GetAZs gives; defaults to availabilityZonesOf. */
  availabilityZones?: (region: string) => string[];
}

/** A template bound to a stack's inputs: what the executor walks to provision it. */
export interface StackPlan {
  template: Template;
  parameters: Record<string, BoundParameter>;
  conditions: Record<string, boolean>;
  /** The resources whose condition holds (all of them when they have none), in template order. */
  resources: Record<string, ResourceDeclaration>;
  /** The outputs whose condition holds. */
  outputs: Record<string, OutputDeclaration>;
  graph: ResourceGraph;
  /** The evaluation context over the executor's view of the provisioned resources. */
  context(resources: ResourceValues): EvaluationContext;
}

/** Before any resource exists: Refs to resources and imports answer nothing. */
export const noResources: ResourceValues = {
  ref: () => undefined,
  getAtt: () => undefined,
  importValue: () => undefined,
};

/**
 * Binds a validated template to CreateStack's or UpdateStack's inputs, in CloudFormation's order:
 * parameters (with its errors for missing, unknown and disallowed values), then conditions, then the
 * resources that exist under them and the order they are created in. Pure; no resource is touched.
 */
export function planStack(template: Template, inputs: StackInputs): StackPlan {
  const parameters = withResolvedValues(
    bindParameters(template.parameters, inputs.parameters, inputs.previousParameters),
    template.parameters,
    inputs.resolvedParameters ?? {},
  );
  const availabilityZones = inputs.availabilityZones ?? availabilityZonesOf;
  const base = {
    parameters,
    pseudo: inputs.pseudo,
    mappings: template.mappings,
    availabilityZones,
    resources: noResources,
  };
  const conditions = evaluateConditions(template.conditions, base);
  const holds = (condition: string | undefined) => condition === undefined || conditions[condition] === true;
  const resources: Record<string, ResourceDeclaration> = {};
  for (const [id, declaration] of Object.entries(template.resources)) {
    if (holds(declaration.condition)) resources[id] = declaration;
  }
  const outputs: Record<string, OutputDeclaration> = {};
  for (const [name, output] of Object.entries(template.outputs)) {
    if (holds(output.condition)) outputs[name] = output;
  }
  const isParameter = (name: string) => Object.hasOwn(parameters, name) || isPseudoParameter(name);
  const graph = resourceGraph(resources, isParameter, (condition) => conditions[condition]);
  return {
    template,
    parameters,
    conditions,
    resources,
    outputs,
    graph,
    context: (values) => ({ ...base, conditions, resources: values }),
  };
}
