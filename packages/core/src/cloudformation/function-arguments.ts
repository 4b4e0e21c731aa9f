import { intrinsicOf, isObject, type TemplateValue, templateError } from "./value.ts";

/**
 * How many arguments each list-taking function wants, and CloudFormation's sentence when a template
 * gives it something else (its ValidateTemplate wording where known).
 */
const arities: Readonly<Record<string, { min: number; max: number; message: string }>> = {
  "Fn::Join": {
    min: 2,
    max: 2,
    message:
      "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
  },
  "Fn::Select": {
    min: 2,
    max: 2,
    message: "Fn::Select requires a list argument with two elements: an integer index and a list",
  },
  "Fn::Split": {
    min: 2,
    max: 2,
    message:
      "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.",
  },
  "Fn::If": { min: 3, max: 3, message: "Fn::If requires a list argument with three elements" },
  "Fn::Equals": {
    min: 2,
    max: 2,
    message: "every Fn::Equals object requires a list of 2 string parameters.",
  },
  "Fn::And": { min: 2, max: 10, message: "Fn::And requires a list of 2 to 10 conditions" },
  "Fn::Or": { min: 2, max: 10, message: "Fn::Or requires a list of 2 to 10 conditions" },
  "Fn::Not": { min: 1, max: 1, message: "Fn::Not requires a list argument with one element" },
  "Fn::FindInMap": {
    min: 3,
    max: 3,
    message:
      "every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value",
  },
  "Fn::Cidr": {
    min: 3,
    max: 3,
    message: "Fn::Cidr requires a list of three parameters: an address block, a count and the cidrBits",
  },
  "Fn::GetAtt": { min: 2, max: 2, message: "every Fn::GetAtt object requires two non-empty parameters." },
  "Fn::Sub": {
    min: 1,
    max: 2,
    message:
      "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
  },
};

/** The arguments of a list-taking function, or CloudFormation's error for the wrong number or shape. */
export function functionArguments(name: string, argument: TemplateValue): TemplateValue[] {
  const arity = arities[name];
  if (arity === undefined) return [argument];
  if (!Array.isArray(argument) || argument.length < arity.min || argument.length > arity.max)
    throw templateError(arity.message);
  return argument;
}

/**
 * Checks every function call in a value for its argument count and literal shapes, before anything is
 * evaluated (what ValidateTemplate refuses): a Ref to a non-string, a Join of two literals that are not
 * a delimiter and a list, a GetAtt with an empty name.
 */
export function checkFunctionArguments(value: TemplateValue): void {
  if (Array.isArray(value)) {
    for (const member of value) checkFunctionArguments(member);
    return;
  }
  if (!isObject(value)) return;
  const intrinsic = intrinsicOf(value);
  if (intrinsic === undefined) {
    for (const member of Object.values(value)) checkFunctionArguments(member);
    return;
  }
  const { name, argument } = intrinsic;
  if ((name === "Ref" || name === "Condition") && typeof argument !== "string")
    throw templateError(`every ${name} object must have a single String value.`);
  // A string GetAtt (`A.B`) and a string Sub are complete as they are.
  const listForm = !((name === "Fn::GetAtt" || name === "Fn::Sub") && typeof argument === "string");
  if (listForm && Object.hasOwn(arities, name)) {
    const args = functionArguments(name, argument);
    if (name === "Fn::GetAtt" && (typeof args[0] !== "string" || args[0] === "" || args[1] === ""))
      throw templateError("every Fn::GetAtt object requires two non-empty parameters.");
    if ((name === "Fn::Join" || name === "Fn::Split") && typeof args[0] !== "string")
      throw templateError(arities[name]?.message ?? name);
    if (name === "Fn::Sub" && typeof args[0] !== "string")
      throw templateError(arities[name]?.message ?? name);
    if (name === "Fn::If" && typeof args[0] !== "string")
      throw templateError("Fn::If requires a condition name as its first parameter");
  }
  checkFunctionArguments(argument);
}
