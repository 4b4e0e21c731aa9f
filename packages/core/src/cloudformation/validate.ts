import { checkFunctionArguments } from "./function-arguments.ts";
import { resourceGraph } from "./graph.ts";
import { isPseudoParameter } from "./pseudo-parameters.ts";
import { collectReferences, emptyReferences, type References } from "./references.ts";
import { readTemplate, type Template } from "./template.ts";
import { parseTemplateBody } from "./template-body.ts";
import { formatError, intrinsicNames, isObject, type TemplateValue, templateError } from "./value.ts";

const supportedFunctions = intrinsicNames.filter((name) => name.startsWith("Fn::"));

/** Refuses any `Fn::` function CloudFormation does not have, wherever it appears. */
function checkFunctions(value: TemplateValue): void {
  if (Array.isArray(value)) {
    for (const member of value) checkFunctions(member);
    return;
  }
  if (!isObject(value)) return;
  const keys = Object.keys(value);
  const only = keys[0];
  if (
    keys.length === 1 &&
    only?.startsWith("Fn::") &&
    !(supportedFunctions as readonly string[]).includes(only)
  )
    throw formatError(
      `Encountered unsupported function: ${only} Supported functions are: [${supportedFunctions.join(", ")}]`,
    );
  for (const member of Object.values(value)) checkFunctions(member);
}

function checkConditionNames(template: Template, references: References, where: string): void {
  for (const name of references.conditions) {
    if (!Object.hasOwn(template.conditions, name))
      throw templateError(`unresolved condition dependency ${name} in ${where}`);
  }
}

/**
 * Everything ValidateTemplate checks beyond the sections' shapes: every Ref names a parameter, pseudo
 * parameter or resource; every Fn::GetAtt a resource; every condition name a declared condition;
 * conditions read no resources; no cycle among resources; export names unique. Nothing is evaluated:
 * parameters have no values yet.
 */
export function checkTemplate(template: Template): void {
  // Rules have functions of their own (Fn::Contains, Fn::EachMemberIn...), and are not evaluated.
  for (const [section, value] of Object.entries(template.body)) {
    if (section === "Rules") continue;
    checkFunctions(value);
    checkFunctionArguments(value);
  }
  const isParameter = (name: string) => Object.hasOwn(template.parameters, name) || isPseudoParameter(name);
  for (const name of Object.keys(template.parameters)) {
    if (Object.hasOwn(template.resources, name))
      throw formatError(`Parameter and resource names must be unique: ${name}`);
  }
  for (const [name, expression] of Object.entries(template.conditions)) {
    const references = collectReferences(expression);
    const resources = [...references.refs].filter((ref) => !isParameter(ref));
    const attributes = references.getAtts.map(([id]) => id);
    if (resources.length > 0 || attributes.length > 0)
      throw formatError(
        `Unresolved dependencies [${[...resources, ...attributes].join(", ")}]. Cannot reference resources in the Conditions block of the template`,
      );
    checkConditionNames(template, references, `condition ${name}`);
  }
  for (const [id, resource] of Object.entries(template.resources)) {
    if (resource.condition !== undefined && !Object.hasOwn(template.conditions, resource.condition))
      throw templateError(`unresolved condition dependency ${resource.condition} in resource ${id}`);
    const references = collectReferences(resource.properties);
    for (const extra of [resource.metadata, resource.creationPolicy, resource.updatePolicy])
      if (extra !== undefined) collectReferences(extra, references);
    checkConditionNames(template, references, `resource ${id}`);
    for (const [target] of references.getAtts) {
      if (!Object.hasOwn(template.resources, target))
        throw templateError(`instance of Fn::GetAtt references undefined resource ${target}`);
    }
  }
  // Unresolved Refs and DependsOn, and cycles.
  resourceGraph(template.resources, isParameter);
  const exportNames = new Set<string>();
  for (const [name, output] of Object.entries(template.outputs)) {
    const references = emptyReferences();
    collectReferences(output.value, references);
    if (output.exportName !== undefined) collectReferences(output.exportName, references);
    if (output.condition !== undefined) references.conditions.add(output.condition);
    checkConditionNames(template, references, `output ${name}`);
    const unknown = [...references.refs].filter(
      (ref) => !isParameter(ref) && !Object.hasOwn(template.resources, ref),
    );
    if (unknown.length > 0)
      throw formatError(
        `Unresolved resource dependencies [${unknown.join(", ")}] in the Outputs block of the template`,
      );
    for (const [target] of references.getAtts) {
      if (!Object.hasOwn(template.resources, target))
        throw templateError(`instance of Fn::GetAtt references undefined resource ${target}`);
    }
    if (typeof output.exportName === "string") {
      if (exportNames.has(output.exportName))
        throw formatError(`Duplicate Export names ${output.exportName}`);
      exportNames.add(output.exportName);
    }
  }
}

/** A template body read, shaped and checked: what ValidateTemplate (and every stack operation) starts with. */
export function validateTemplateBody(body: string, limit?: number): Template {
  const template = readTemplate(parseTemplateBody(body, limit));
  checkTemplate(template);
  return template;
}
