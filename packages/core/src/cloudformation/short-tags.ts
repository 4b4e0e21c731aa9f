import { formatError, type TemplateValue, templateError } from "./value.ts";

/**
 * CloudFormation's YAML short forms and the long forms they stand for (`!Sub x` is `{ "Fn::Sub": x }`).
 * `!Ref` and `!Condition` keep their bare names; `!GetAtt` also splits its `Resource.Attribute` string.
 */
const longNames: Readonly<Record<string, string>> = {
  "!Ref": "Ref",
  "!Condition": "Condition",
  "!GetAtt": "Fn::GetAtt",
  "!Sub": "Fn::Sub",
  "!Join": "Fn::Join",
  "!Select": "Fn::Select",
  "!Split": "Fn::Split",
  "!If": "Fn::If",
  "!Equals": "Fn::Equals",
  "!And": "Fn::And",
  "!Or": "Fn::Or",
  "!Not": "Fn::Not",
  "!FindInMap": "Fn::FindInMap",
  "!Base64": "Fn::Base64",
  "!GetAZs": "Fn::GetAZs",
  "!Cidr": "Fn::Cidr",
  "!ImportValue": "Fn::ImportValue",
};

export const isShortTag = (tag: string): boolean => Object.hasOwn(longNames, tag);

/**
 * The long form of a tagged node. `where` names the node's position for the error a bad tag gets.
 * `!GetAtt A.B.C` is `["A", "B.C"]`: the logical id has no dots, the attribute may (`Endpoint.Address`).
 */
export function expandShortTag(tag: string, value: TemplateValue, where: string): TemplateValue {
  const name = longNames[tag];
  if (name === undefined) throw formatError(`YAML not well-formed. Unsupported tag ${tag} ${where}`);
  if (tag === "!GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    if (dot <= 0 || dot === value.length - 1)
      throw templateError(`every Fn::GetAtt object requires two non-empty parameters.`);
    return { [name]: [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [name]: value };
}
