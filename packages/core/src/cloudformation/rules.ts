import { Errors } from "../errors.ts";
import { type EvaluationContext, resolveValue } from "./intrinsics.ts";
import type { ParameterDeclaration } from "./parameter-declarations.ts";
import { formatError, isObject, own, type TemplateValue, templateError } from "./value.ts";

/*
 * The Rules section (CloudFormation's rules-section-structure page): each rule's RuleCondition, when it
 * holds, makes every Assertions member's Assert hold over the parameters given, or the stack operation is
 * refused before anything is created. The CDK writes one to every stack (CheckBootstrapVersion). Rule
 * functions: Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::Equals, Fn::If,
 * Fn::Not, Fn::Or, Fn::RefAll, Ref. Fn::ValueOf and Fn::ValueOfAll read attributes of existing AWS
 * resources (a VPC's tags), which scaleout has none of: a rule that calls them is refused, not guessed.
 */

type RuleValue = string | string[] | boolean;

interface RuleContext {
  evaluation: EvaluationContext;
  declarations: Readonly<Record<string, ParameterDeclaration>>;
  rule: string;
}

const ruleFunctions = [
  "Fn::And",
  "Fn::Contains",
  "Fn::EachMemberEquals",
  "Fn::EachMemberIn",
  "Fn::Equals",
  "Fn::If",
  "Fn::Not",
  "Fn::Or",
  "Fn::RefAll",
  "Fn::ValueOf",
  "Fn::ValueOfAll",
  "Ref",
];

function args(value: TemplateValue, name: string, count: number, rule: string): TemplateValue[] {
  if (!Array.isArray(value) || value.length !== count)
    throw templateError(`${name} in rule ${rule} requires a list of ${count} arguments`);
  return value;
}

function text(context: RuleContext, value: TemplateValue, where: string): string {
  const evaluated = evaluate(context, value);
  if (typeof evaluated === "string") return evaluated;
  throw templateError(`${where} in rule ${context.rule} requires a string`);
}

function list(context: RuleContext, value: TemplateValue, where: string): string[] {
  const evaluated = evaluate(context, value);
  if (Array.isArray(evaluated)) return evaluated;
  throw templateError(`${where} in rule ${context.rule} requires a list`);
}

function truth(context: RuleContext, value: TemplateValue, where: string): boolean {
  const evaluated = evaluate(context, value);
  if (typeof evaluated === "boolean") return evaluated;
  if (evaluated === "true" || evaluated === "false") return evaluated === "true";
  throw templateError(`${where} in rule ${context.rule} requires a condition`);
}

function evaluate(context: RuleContext, value: TemplateValue): RuleValue {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((member) => text(context, member, "A list member"));
  if (!isObject(value) || Object.keys(value).length !== 1)
    throw templateError(
      `Every rule value must be a string, a list or a rule function (rule ${context.rule})`,
    );
  const [name = "", argument = null] = Object.entries(value)[0] ?? [];
  const { rule } = context;
  switch (name) {
    case "Ref": {
      const resolved = resolveValue(context.evaluation, value);
      if (typeof resolved === "string") return resolved;
      if (Array.isArray(resolved)) return resolved.map(String);
      throw templateError(`Ref in rule ${rule} must name a parameter`);
    }
    case "Fn::Equals": {
      const [a = null, b = null] = args(argument, name, 2, rule);
      return JSON.stringify(evaluate(context, a)) === JSON.stringify(evaluate(context, b));
    }
    case "Fn::Not":
      return !truth(context, args(argument, name, 1, rule)[0] ?? null, name);
    case "Fn::And":
    case "Fn::Or": {
      if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10)
        throw templateError(`${name} in rule ${rule} requires between 2 and 10 conditions`);
      const values = argument.map((member) => truth(context, member, name));
      return name === "Fn::And" ? values.every(Boolean) : values.some(Boolean);
    }
    case "Fn::If": {
      const [condition = null, then = null, otherwise = null] = args(argument, name, 3, rule);
      if (typeof condition !== "string" || !Object.hasOwn(context.evaluation.conditions, condition))
        throw templateError(`Fn::If in rule ${rule} must name a condition`);
      return evaluate(context, context.evaluation.conditions[condition] ? then : otherwise);
    }
    case "Fn::Contains": {
      const [haystack = null, needle = null] = args(argument, name, 2, rule);
      return list(context, haystack, name).includes(text(context, needle, name));
    }
    case "Fn::EachMemberEquals": {
      const [members = null, expected = null] = args(argument, name, 2, rule);
      const wanted = text(context, expected, name);
      return list(context, members, name).every((member) => member === wanted);
    }
    case "Fn::EachMemberIn": {
      const [members = null, allowed = null] = args(argument, name, 2, rule);
      const accepted = list(context, allowed, name);
      return list(context, members, name).every((member) => accepted.includes(member));
    }
    case "Fn::RefAll": {
      if (typeof argument !== "string") throw templateError(`Fn::RefAll in rule ${rule} requires a type`);
      return Object.entries(context.declarations)
        .filter(([, declaration]) => declaration.type === argument)
        .flatMap(([key]) => {
          const parameter = context.evaluation.parameters[key];
          return parameter?.list ?? (parameter === undefined ? [] : [parameter.value]);
        });
    }
    case "Fn::ValueOf":
    case "Fn::ValueOfAll":
      throw new Errors.ValidationError(
        `Template error: ${name} in rule ${rule} reads attributes of AWS resources, which scaleout does not have`,
      );
    default:
      throw templateError(
        `Encountered unsupported function: ${name} in rule ${rule}. Supported functions are: [${ruleFunctions.join(", ")}]`,
      );
  }
}

/**
 * Checks the template's Rules over the bound parameters (SSM-typed ones already resolved) and the
 * evaluated conditions; the first assertion that fails refuses the operation with its AssertDescription.
 */
export function checkRules(
  rules: TemplateValue | undefined,
  declarations: Readonly<Record<string, ParameterDeclaration>>,
  evaluation: EvaluationContext,
): void {
  if (rules === undefined) return;
  if (!isObject(rules)) throw formatError("Every Rules member must be an object");
  for (const [rule, body] of Object.entries(rules)) {
    if (!isObject(body)) throw formatError(`Rule ${rule} must be an object`);
    const unknown = Object.keys(body).filter((key) => key !== "RuleCondition" && key !== "Assertions");
    if (unknown.length > 0) throw formatError(`Invalid rule property '${unknown[0]}' in rule ${rule}`);
    const assertions = own(body, "Assertions");
    if (!Array.isArray(assertions) || assertions.length === 0)
      throw formatError(`Rule ${rule} must contain an Assertions list`);
    const context: RuleContext = { evaluation, declarations, rule };
    const condition = own(body, "RuleCondition");
    if (condition !== undefined && !truth(context, condition, "RuleCondition")) continue;
    for (const assertion of assertions) {
      if (!isObject(assertion)) throw formatError(`Every assertion of rule ${rule} must be an object`);
      const assert = own(assertion, "Assert");
      if (assert === undefined) throw formatError(`Every assertion of rule ${rule} must contain Assert`);
      if (truth(context, assert, "Assert")) continue;
      const description = own(assertion, "AssertDescription");
      throw new Errors.ValidationError(
        typeof description === "string" ? description : `Template error: rule ${rule} failed its assertion`,
      );
    }
  }
}
