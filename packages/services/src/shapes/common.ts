import { Type } from "@sinclair/typebox";

/*
 * Shapes shared by several resources. Lengths are AWS's (the botocore models): every string that reaches
 * the services is bounded here, as the AWS door bounds it by the same models (apps/api/src/aws/constraints.ts).
 */

export const Tag = Type.Object(
  { key: Type.String({ maxLength: 128 }), value: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: false },
);
export const Tags = Type.Optional(Type.Array(Tag, { maxItems: 50 }));

export const Dimension = Type.Object(
  { name: Type.String({ maxLength: 255 }), value: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);

/** A string restricted to the given values, typed as their union. */
export function StringEnum<T extends string[]>(
  values: [...T],
  options: { description?: string; default?: T[number] } = {},
) {
  return Type.Unsafe<T[number]>({ type: "string", enum: values, ...options });
}

/** An instant on the wire: an ISO 8601 string (a timestamp to the AWS door). */
export const Timestamp = (options: { description?: string } = {}) =>
  Type.String({ format: "date-time", ...options });

/**
 * An input as a door may hand it over: the REST door's schemas hold enum-like members to their values,
 * the AWS door decodes them as plain strings, and the services check them either way (with AWS's codes).
 */
export type Wire<T> = T extends string
  ? string
  : T extends ReadonlyArray<infer I>
    ? Array<Wire<I>>
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
