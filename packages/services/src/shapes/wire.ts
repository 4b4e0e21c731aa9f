import type { TSchema } from "@sinclair/typebox";

/*
 * What the AWS door needs to know about a shape beyond its JSON schema: the few AWS member names that
 * are not the camelCase name capitalised, and the XML element names of lists. Kept under a symbol, so
 * the REST door's JSON schema (and openapi.yaml) never sees it and Ajv ignores it.
 */

export const AwsWire: unique symbol = Symbol.for("scaleout.aws-wire");

export interface WireAnnotation {
  /** The AWS member name when it is not the camelCase name capitalised (nor in shapes.ts's table). */
  name?: string;
  /** A list's XML item element (`member` in the query protocol, `item` in EC2's). */
  memberName?: string;
  /** EC2 only: the response element name when it is not the camelCase name (`tagSet`). */
  xml?: string;
  /** EC2 only: the request key when it is not the member name. */
  query?: string;
}

/** Annotates a schema for the AWS door; the schema itself is unchanged for the REST door. */
export function wire<T extends TSchema>(schema: T, annotation: WireAnnotation): T {
  return Object.assign(schema, { [AwsWire]: annotation });
}

/** A schema's annotation; spreads (Type.Optional, Type.Composite) copy it with the schema's own keys. */
export function wireOf(schema: TSchema): WireAnnotation {
  if (!(AwsWire in schema)) return {};
  const annotation = schema[AwsWire];
  return isAnnotation(annotation) ? annotation : {};
}

// Only wire() writes under the symbol, so an object there is an annotation.
function isAnnotation(value: unknown): value is WireAnnotation {
  return typeof value === "object" && value !== null;
}
