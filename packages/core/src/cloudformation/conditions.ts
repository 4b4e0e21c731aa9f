import type { EvaluationContext } from "./intrinsics.ts";
import { resolveCondition } from "./intrinsics.ts";
import { collectReferences } from "./references.ts";
import { formatError, put, type TemplateValue } from "./value.ts";

/**
 * The Conditions section evaluated, each condition after the ones it names. Conditions may read
 * parameters, pseudo parameters, mappings and other conditions, never resources (CloudFormation decides
 * them before any resource exists); a cycle between conditions is refused.
 */
export function evaluateConditions(
  conditions: Readonly<Record<string, TemplateValue>>,
  context: Omit<EvaluationContext, "conditions">,
): Record<string, boolean> {
  const values: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const evaluateOne = (name: string, path: string[]): boolean => {
    if (Object.hasOwn(values, name)) return values[name] === true;
    const expression = Object.hasOwn(conditions, name) ? conditions[name] : undefined;
    if (expression === undefined) throw formatError(`Unresolved condition dependency ${name}`);
    if (visiting.has(name))
      throw formatError(`Circular dependency between conditions: [${[...path, name].join(", ")}]`);
    visiting.add(name);
    for (const dependency of collectReferences(expression).conditions)
      evaluateOne(dependency, [...path, name]);
    visiting.delete(name);
    const value = resolveCondition({ ...context, conditions: values }, expression);
    put(values, name, value);
    return value;
  };
  for (const name of Object.keys(conditions)) evaluateOne(name, []);
  return values;
}
