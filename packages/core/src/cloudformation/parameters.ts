import { Errors } from "../errors.ts";
import { compileAllowedPattern } from "./allowed-pattern.ts";
import { isListType, type ParameterDeclaration } from "./parameter-declarations.ts";
import { put } from "./value.ts";

/** A parameter as CreateStack and UpdateStack pass it. */
export interface ParameterInput {
  key: string;
  value?: string;
  usePreviousValue?: boolean;
}

/** A bound parameter: its text, and for list types the list its Ref gives. */
export interface BoundParameter {
  value: string;
  list?: string[];
  noEcho: boolean;
}

/** CloudFormation's limit on a parameter value (4,096 bytes). */
export const maxParameterValueBytes = 4096;

const formatBound = (n: number) => String(n);

function failure(name: string, declaration: ParameterDeclaration, message: string): Error {
  if (declaration.constraintDescription !== undefined)
    return new Errors.ValidationError(
      `Parameter '${name}' failed to satisfy constraint: ${declaration.constraintDescription}`,
    );
  return new Errors.ValidationError(`Parameter '${name}' ${message}`);
}

const isNumber = (text: string) => text.trim() !== "" && Number.isFinite(Number(text));

/** Checks one value (or one member of a list) against its declaration's constraints. */
function checkValue(name: string, declaration: ParameterDeclaration, value: string, numeric: boolean): void {
  if (declaration.allowedValues !== undefined && !declaration.allowedValues.includes(value))
    throw failure(name, declaration, "must be one of AllowedValues");
  if (numeric) {
    if (!isNumber(value)) throw new Errors.ValidationError(`Parameter '${name}' must be a number`);
    const number = Number(value);
    if (declaration.minValue !== undefined && number < declaration.minValue)
      throw failure(name, declaration, `must be a number not less than ${formatBound(declaration.minValue)}`);
    if (declaration.maxValue !== undefined && number > declaration.maxValue)
      throw failure(
        name,
        declaration,
        `must be a number not greater than ${formatBound(declaration.maxValue)}`,
      );
  }
  const length = [...value].length;
  if (declaration.minLength !== undefined && length < declaration.minLength)
    throw failure(name, declaration, `must contain at least ${declaration.minLength} characters`);
  if (declaration.maxLength !== undefined && length > declaration.maxLength)
    throw failure(name, declaration, `must contain at most ${declaration.maxLength} characters`);
  if (declaration.allowedPattern !== undefined) {
    const pattern = compileAllowedPattern(declaration.allowedPattern);
    if (pattern !== undefined && !pattern.test(value))
      throw failure(
        name,
        declaration,
        `failed to satisfy constraint: must match pattern ${declaration.allowedPattern}`,
      );
  }
}

/** One parameter's value bound and checked; list types split on commas, each member trimmed. */
export function bindParameter(
  name: string,
  declaration: ParameterDeclaration,
  value: string,
): BoundParameter {
  if (Buffer.byteLength(value, "utf8") > maxParameterValueBytes)
    throw new Errors.ValidationError(
      `Parameter '${name}' exceeds the maximum length of ${maxParameterValueBytes} bytes`,
    );
  const bound: BoundParameter = { value, noEcho: declaration.noEcho };
  if (isListType(declaration.type)) {
    const list = value === "" ? [] : value.split(",").map((member) => member.trim());
    const numeric = declaration.type === "List<Number>";
    for (const member of list) checkValue(name, declaration, member, numeric);
    bound.list = list;
  } else {
    checkValue(name, declaration, value, declaration.type === "Number");
  }
  return bound;
}

/**
 * The template's parameters bound from a CreateStack or UpdateStack call, as CloudFormation does it: a
 * key the template does not declare is refused, every declared parameter needs a value (given, previous
 * on UsePreviousValue, or its Default), and each value meets its constraints.
 */
export function bindParameters(
  declarations: Readonly<Record<string, ParameterDeclaration>>,
  inputs: readonly ParameterInput[],
  previous: Readonly<Record<string, string>> = {},
): Record<string, BoundParameter> {
  const unknown = inputs.map((input) => input.key).filter((key) => !Object.hasOwn(declarations, key));
  if (unknown.length > 0)
    throw new Errors.ValidationError(`Parameters: [${unknown.join(", ")}] do not exist in the template`);
  const given = new Map<string, ParameterInput>();
  for (const input of inputs) {
    if (given.has(input.key))
      throw new Errors.ValidationError(
        `Invalid input for parameter key ${input.key}. Duplicate parameter key`,
      );
    if (input.usePreviousValue === true && input.value !== undefined)
      throw new Errors.ValidationError(
        `Invalid input for parameter key ${input.key}. Cannot specify usePreviousValue as true and non empty value for a parameter`,
      );
    given.set(input.key, input);
  }
  const bound: Record<string, BoundParameter> = {};
  const missing: string[] = [];
  for (const [name, declaration] of Object.entries(declarations)) {
    const input = given.get(name);
    const value =
      input?.usePreviousValue === true
        ? Object.hasOwn(previous, name)
          ? previous[name]
          : undefined
        : (input?.value ?? declaration.default);
    if (value === undefined) {
      missing.push(name);
      continue;
    }
    put(bound, name, bindParameter(name, declaration, value));
  }
  if (missing.length > 0)
    throw new Errors.ValidationError(`Parameters: [${missing.join(", ")}] must have values`);
  return bound;
}
