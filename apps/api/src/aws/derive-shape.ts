import { wireOf } from "@scaleout/services";
import {
  Kind,
  KindGuard,
  OptionalKind,
  type TArray,
  type TObject,
  type TProperties,
  type TRecord,
  type TSchema,
} from "@sinclair/typebox";
import {
  type BooleanShape,
  bool,
  type DoubleShape,
  dbl,
  type IntegerShape,
  int,
  type ListShape,
  list,
  type MapShape,
  type Member,
  type MemberOptions,
  type MemberSpec,
  map,
  type Shape,
  type StringShape,
  type StructureShape,
  str,
  struct,
  ts,
} from "./shapes.ts";

/*
 * The AWS door's wire shapes, derived from the services' TypeBox declarations: one declaration of a
 * resource serves both doors, so a field added to the service reaches the AWS wire without a second
 * edit, and the shapes test (against the SDKs' models) notices one that AWS does not have. AWS member
 * names and list item names that the camelCase rule does not give are annotations on the schema
 * (services/src/shapes/wire.ts); where the wire really differs from the service shape (a member AWS
 * requires, a flattened list), the operation spreads its own members over the derived ones.
 */

/** The wire shape a TypeBox schema derives to, as a type: what the codec decodes and `run` answers. */
export type ShapeOfSchema<T> =
  T extends TObject<infer P>
    ? StructureShape<MembersOfSchema<P>>
    : T extends TArray<infer I>
      ? ListShape<ShapeOfSchema<I>>
      : T extends TRecord<TSchema, infer V>
        ? MapShape<ShapeOfSchema<V>>
        : T extends { [Kind]: "Integer" }
          ? IntegerShape
          : T extends { [Kind]: "Number" }
            ? DoubleShape
            : T extends { [Kind]: "Boolean" }
              ? BooleanShape
              : // Strings, string enums and date-times: a timestamp on the wire reads and writes as a string.
                T extends { static: string }
                ? StringShape
                : never;

export type MembersOfSchema<P extends TProperties> = {
  [K in keyof P]: P[K] extends { [OptionalKind]: "Optional" }
    ? ShapeOfSchema<P[K]>
    : MemberSpec<ShapeOfSchema<P[K]>> & { required: true };
};

/** The wire shape of a TypeBox schema. Throws for a schema with no AWS counterpart (unions, refs). */
export function deriveShape<T extends TSchema>(schema: T): ShapeOfSchema<T>;
export function deriveShape(schema: TSchema): Shape {
  return shapeOf(schema, schema.$id ?? "schema");
}

/** The members of an object schema, to spread into an operation's own structure. */
export function deriveMembers<P extends TProperties>(schema: TObject<P>): MembersOfSchema<P>;
export function deriveMembers(schema: TObject): Record<string, Member> {
  return membersOf(schema, schema.$id ?? "schema");
}

function shapeOf(schema: TSchema, path: string): Shape {
  if (KindGuard.IsObject(schema)) return struct(membersOf(schema, path));
  if (KindGuard.IsArray(schema)) {
    const { memberName } = wireOf(schema);
    return list(shapeOf(schema.items, `${path}[]`), memberName);
  }
  if (KindGuard.IsRecord(schema)) {
    const [value] = Object.values(schema.patternProperties);
    if (value === undefined) throw new Error(`${path}: a record without a value schema`);
    return map(shapeOf(value, `${path}{}`));
  }
  if (KindGuard.IsString(schema)) return schema.format === "date-time" ? ts : str;
  if (KindGuard.IsInteger(schema)) return int;
  if (KindGuard.IsNumber(schema)) return dbl;
  if (KindGuard.IsBoolean(schema)) return bool;
  // StringEnum: an Unsafe string with an enum.
  if (KindGuard.IsUnsafe(schema) && schema.type === "string") return str;
  throw new Error(`${path}: a ${String(schema[Kind])} schema has no AWS wire shape`);
}

function membersOf(schema: TObject, path: string): Record<string, Member> {
  const members: Record<string, Member> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const shape = shapeOf(property, `${path}.${key}`);
    const { name, xml, query } = wireOf(property);
    const options: MemberOptions = {};
    if (!KindGuard.IsOptional(property)) options.required = true;
    if (name !== undefined) options.name = name;
    if (xml !== undefined) options.xml = xml;
    if (query !== undefined) options.query = query;
    members[key] = Object.keys(options).length === 0 ? shape : { ...options, shape };
  }
  return members;
}
