import { parseSub, subReference } from "./sub.ts";
import { intrinsicOf, isObject, type TemplateValue } from "./value.ts";

/** The names a template value refers to, before anything is evaluated. */
export interface References {
  /** Ref targets: parameters, pseudo parameters or logical ids. */
  refs: Set<string>;
  /** Fn::GetAtt targets (logical id, attribute) and Fn::Sub's `${Res.Attr}`. */
  getAtts: Array<[string, string]>;
  /** Condition names used by Fn::If and `Condition`. */
  conditions: Set<string>;
}

export const emptyReferences = (): References => ({ refs: new Set(), getAtts: [], conditions: new Set() });

/**
 * Collects what `value` refers to. Given `branch` (the truth of each condition, once known), an Fn::If
 * contributes only the branch it takes: a resource a false branch names is no dependency.
 */
export function collectReferences(
  value: TemplateValue,
  into: References = emptyReferences(),
  branch?: (condition: string) => boolean | undefined,
): References {
  if (Array.isArray(value)) {
    for (const member of value) collectReferences(member, into, branch);
    return into;
  }
  if (!isObject(value)) return into;
  const intrinsic = intrinsicOf(value);
  if (intrinsic === undefined) {
    for (const member of Object.values(value)) collectReferences(member, into, branch);
    return into;
  }
  const { name, argument } = intrinsic;
  switch (name) {
    case "Ref":
      if (typeof argument === "string") into.refs.add(argument);
      return into;
    case "Condition":
      if (typeof argument === "string") into.conditions.add(argument);
      return into;
    case "Fn::GetAtt": {
      if (typeof argument === "string") {
        const dot = argument.indexOf(".");
        if (dot > 0) into.getAtts.push([argument.slice(0, dot), argument.slice(dot + 1)]);
        return into;
      }
      if (Array.isArray(argument) && typeof argument[0] === "string") {
        const attribute = argument[1];
        into.getAtts.push([argument[0], typeof attribute === "string" ? attribute : "*"]);
        if (attribute !== undefined) collectReferences(attribute, into, branch);
      }
      return into;
    }
    case "Fn::Sub": {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, undefined];
      const local =
        isObject(variables ?? null) && variables !== undefined ? Object.keys(variables as object) : [];
      if (variables !== undefined) collectReferences(variables, into, branch);
      if (typeof text !== "string") return into;
      try {
        for (const part of parseSub(text)) {
          if (!("variable" in part) || local.includes(part.variable)) continue;
          const reference = subReference(part.variable);
          if ("ref" in reference) into.refs.add(reference.ref);
          else into.getAtts.push(reference.getAtt);
        }
      } catch {
        // A malformed Sub string is reported when it is evaluated; it refers to nothing.
      }
      return into;
    }
    case "Fn::If": {
      if (!Array.isArray(argument) || typeof argument[0] !== "string") {
        collectReferences(argument, into, branch);
        return into;
      }
      const [condition, whenTrue, whenFalse] = argument;
      into.conditions.add(condition);
      const taken = branch?.(condition);
      if (taken !== false && whenTrue !== undefined) collectReferences(whenTrue, into, branch);
      if (taken !== true && whenFalse !== undefined) collectReferences(whenFalse, into, branch);
      return into;
    }
    default:
      return collectReferences(argument, into, branch);
  }
}
