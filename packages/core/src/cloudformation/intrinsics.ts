import { Errors } from "../errors.ts";
import { cidrBlocks } from "./cidr.ts";
import { functionArguments } from "./function-arguments.ts";
import type { BoundParameter } from "./parameters.ts";
import { isPseudoParameter, type PseudoParameters } from "./pseudo-parameters.ts";
import { parseSub, subReference } from "./sub.ts";
import {
  formatError,
  intrinsicNames,
  intrinsicOf,
  isObject,
  put,
  type TemplateObject,
  type TemplateValue,
  templateError,
} from "./value.ts";

/**
 * What the stack executor knows about the resources it has provisioned: each one's `Ref` value and
 * attributes, and the exports of the account's stacks. An unknown resource or attribute answers
 * undefined; the evaluator turns that into CloudFormation's error.
 */
export interface ResourceValues {
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): TemplateValue | undefined;
  importValue(exportName: string): string | undefined;
}

/** Everything an intrinsic function may read while a stack's values are resolved. */
export interface EvaluationContext {
  parameters: Readonly<Record<string, BoundParameter>>;
  pseudo: PseudoParameters;
  mappings: Readonly<Record<string, Readonly<Record<string, TemplateObject>>>>;
  /** The template's conditions, evaluated (see conditions.ts). */
  conditions: Readonly<Record<string, boolean>>;
  availabilityZones(region: string): string[];
  resources: ResourceValues;
}

/** The value `Ref: AWS::NoValue` stands for: the property or list member it is in disappears. */
const noValue: unique symbol = Symbol("AWS::NoValue");
type Evaluated = TemplateValue | typeof noValue;

function asString(value: Evaluated, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw templateError(`${where} requires a string, got ${describe(value)}`);
}

function asList(value: Evaluated, where: string): TemplateValue[] {
  if (Array.isArray(value)) return value;
  throw templateError(`${where} requires a list, got ${describe(value)}`);
}

function describe(value: Evaluated): string {
  if (value === noValue) return "AWS::NoValue";
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `'${String(value)}'`;
}

function ref(context: EvaluationContext, name: string): Evaluated {
  const parameter = Object.hasOwn(context.parameters, name) ? context.parameters[name] : undefined;
  if (parameter !== undefined) return parameter.list ?? parameter.value;
  if (isPseudoParameter(name)) {
    const pseudo = context.pseudo;
    switch (name) {
      case "AWS::NoValue":
        return noValue;
      case "AWS::Region":
        return pseudo.region;
      case "AWS::AccountId":
        return pseudo.accountId;
      case "AWS::StackName":
        return pseudo.stackName;
      case "AWS::StackId":
        return pseudo.stackId;
      case "AWS::Partition":
        return pseudo.partition;
      case "AWS::URLSuffix":
        return pseudo.urlSuffix;
      default:
        return [...pseudo.notificationArns];
    }
  }
  const value = context.resources.ref(name);
  if (value === undefined)
    throw formatError(`Unresolved resource dependencies [${name}] in the Resources block of the template`);
  return value;
}

function getAtt(context: EvaluationContext, logicalId: string, attribute: string): TemplateValue {
  const value = context.resources.getAtt(logicalId, attribute);
  if (value === undefined)
    throw templateError(`resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
  return value;
}

function condition(context: EvaluationContext, name: string): boolean {
  const value = Object.hasOwn(context.conditions, name) ? context.conditions[name] : undefined;
  if (value === undefined) throw templateError(`unresolved condition dependency ${name} in Fn::If`);
  return value;
}

function sub(context: EvaluationContext, argument: TemplateValue): string {
  const [text, variablesValue] = Array.isArray(argument)
    ? functionArguments("Fn::Sub", argument)
    : [argument, undefined];
  if (typeof text !== "string") throw templateError("Fn::Sub requires a string as its first parameter");
  const variables = variablesValue === undefined ? {} : evaluate(context, variablesValue);
  if (!isObject(variables === noValue ? null : variables))
    throw templateError("Fn::Sub requires an object of variables as its second parameter");
  const map = variables as TemplateObject;
  return parseSub(text)
    .map((part) => {
      if ("text" in part) return part.text;
      if (Object.hasOwn(map, part.variable))
        return asString(map[part.variable] ?? null, `Fn::Sub variable ${part.variable}`);
      const reference = subReference(part.variable);
      if ("ref" in reference) {
        const value = ref(context, reference.ref);
        // A list parameter substitutes as its comma-joined text, as CloudFormation writes it.
        return Array.isArray(value) ? value.join(",") : asString(value, `Fn::Sub variable ${part.variable}`);
      }
      return asString(getAtt(context, ...reference.getAtt), `Fn::Sub variable ${part.variable}`);
    })
    .join("");
}

function index(value: Evaluated, where: string): number {
  const text = asString(value, where);
  const number = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(number))
    throw templateError(`${where} requires a non-negative integer, got '${text}'`);
  return number;
}

function call(
  context: EvaluationContext,
  name: (typeof intrinsicNames)[number],
  argument: TemplateValue,
): Evaluated {
  switch (name) {
    case "Ref":
      if (typeof argument !== "string")
        throw templateError("every Ref object must have a single String value.");
      return ref(context, argument);
    case "Condition":
      if (typeof argument !== "string")
        throw templateError("every Condition object must have a single String value.");
      return condition(context, argument);
    case "Fn::GetAtt": {
      const parts =
        typeof argument === "string" && argument.includes(".")
          ? [argument.slice(0, argument.indexOf(".")), argument.slice(argument.indexOf(".") + 1)]
          : functionArguments("Fn::GetAtt", argument);
      const logicalId = parts[0];
      if (typeof logicalId !== "string")
        throw templateError("every Fn::GetAtt object requires two non-empty parameters.");
      // The attribute name may itself be a Ref (to a parameter), never the logical id.
      const attribute = asString(evaluate(context, parts[1] ?? null), "Fn::GetAtt");
      return getAtt(context, logicalId, attribute);
    }
    case "Fn::Sub":
      return sub(context, argument);
    case "Fn::Join": {
      const [delimiter, list] = functionArguments("Fn::Join", argument);
      if (typeof delimiter !== "string") throw templateError("Fn::Join requires a string delimiter");
      const values = asList(evaluate(context, list ?? null), "Fn::Join");
      return values.map((v) => asString(v, "Fn::Join")).join(delimiter);
    }
    case "Fn::Select": {
      const [at, list] = functionArguments("Fn::Select", argument);
      const values = asList(evaluate(context, list ?? null), "Fn::Select");
      const i = index(evaluate(context, at ?? null), "Fn::Select");
      const value = values[i];
      if (value === undefined)
        throw templateError(`Fn::Select cannot select nonexistent value at index ${i}`);
      return value;
    }
    case "Fn::Split": {
      const [delimiter, text] = functionArguments("Fn::Split", argument);
      if (typeof delimiter !== "string" || delimiter === "")
        throw templateError("Fn::Split requires a non-empty string delimiter");
      return asString(evaluate(context, text ?? null), "Fn::Split").split(delimiter);
    }
    case "Fn::If": {
      const [name, whenTrue, whenFalse] = functionArguments("Fn::If", argument);
      if (typeof name !== "string")
        throw templateError("Fn::If requires a condition name as its first parameter");
      return evaluate(context, (condition(context, name) ? whenTrue : whenFalse) ?? null);
    }
    case "Fn::Equals": {
      const [a, b] = functionArguments("Fn::Equals", argument);
      return equal(evaluate(context, a ?? null), evaluate(context, b ?? null));
    }
    case "Fn::And":
    case "Fn::Or": {
      const conditions = functionArguments(name, argument).map((c) => truth(evaluate(context, c), name));
      return name === "Fn::And" ? conditions.every(Boolean) : conditions.some(Boolean);
    }
    case "Fn::Not": {
      const [only] = functionArguments("Fn::Not", argument);
      return !truth(evaluate(context, only ?? null), "Fn::Not");
    }
    case "Fn::FindInMap": {
      const [map, top, second] = functionArguments("Fn::FindInMap", argument).map((a) =>
        asString(evaluate(context, a), "Fn::FindInMap"),
      ) as [string, string, string];
      const mapping = Object.hasOwn(context.mappings, map) ? context.mappings[map] : undefined;
      if (mapping === undefined)
        throw templateError(`Mapping named '${map}' is not present in the 'Mappings' section of template.`);
      const keys = Object.hasOwn(mapping, top) ? mapping[top] : undefined;
      const value = keys !== undefined && Object.hasOwn(keys, second) ? keys[second] : undefined;
      if (value === undefined) throw templateError(`Unable to get mapping for ${map}::${top}::${second}`);
      return value;
    }
    case "Fn::Base64":
      return Buffer.from(asString(evaluate(context, argument), "Fn::Base64"), "utf8").toString("base64");
    case "Fn::GetAZs": {
      const region = asString(evaluate(context, argument), "Fn::GetAZs");
      return context.availabilityZones(region === "" ? context.pseudo.region : region);
    }
    case "Fn::Cidr": {
      const [block, count, bits] = functionArguments("Fn::Cidr", argument).map((a) => evaluate(context, a));
      return cidrBlocks(
        asString(block ?? null, "Fn::Cidr"),
        index(count ?? null, "Fn::Cidr count"),
        index(bits ?? null, "Fn::Cidr cidrBits"),
      );
    }
    case "Fn::ImportValue": {
      const exportName = asString(evaluate(context, argument), "Fn::ImportValue");
      const value = context.resources.importValue(exportName);
      if (value === undefined) throw new Errors.ValidationError(`No export named ${exportName} found.`);
      return value;
    }
  }
}

function truth(value: Evaluated, where: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw templateError(`${where} requires conditions (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition)`);
}

/** Fn::Equals compares values as CloudFormation does: scalars by their text, lists member by member. */
function equal(a: Evaluated, b: Evaluated): boolean {
  const text = (v: Evaluated) =>
    typeof v === "object" && v !== null ? JSON.stringify(v) : v === noValue ? "" : String(v);
  return text(a) === text(b);
}

function evaluate(context: EvaluationContext, value: TemplateValue): Evaluated {
  if (Array.isArray(value)) {
    const values: TemplateValue[] = [];
    for (const member of value) {
      const evaluated = evaluate(context, member);
      if (evaluated !== noValue) values.push(evaluated);
    }
    return values;
  }
  if (!isObject(value)) return value;
  const intrinsic = intrinsicOf(value);
  if (intrinsic !== undefined) return call(context, intrinsic.name, intrinsic.argument);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0]?.startsWith("Fn::"))
    throw formatError(
      `Encountered unsupported function: ${keys[0]} Supported functions are: [${intrinsicNames.filter((n) => n.startsWith("Fn::")).join(", ")}]`,
    );
  const object: TemplateObject = {};
  for (const [key, member] of Object.entries(value)) {
    const evaluated = evaluate(context, member);
    if (evaluated !== noValue) put(object, key, evaluated);
  }
  return object;
}

/**
 * A template value with every intrinsic function evaluated: what a resource's properties or an output
 * resolve to. `AWS::NoValue` removes the property or list member it stands in; a value that is only
 * `AWS::NoValue` resolves to undefined. Errors are CloudFormation's ValidationErrors.
 */
export function resolveValue(context: EvaluationContext, value: TemplateValue): TemplateValue | undefined {
  const evaluated = evaluate(context, value);
  return evaluated === noValue ? undefined : evaluated;
}

/** A condition expression evaluated to true or false (the Conditions section, Fn::If's names). */
export function resolveCondition(context: EvaluationContext, value: TemplateValue): boolean {
  return truth(evaluate(context, value), "Conditions");
}
