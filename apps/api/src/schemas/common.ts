import {
  type Static,
  type TArray,
  type TObject,
  type TOptional,
  type TSchema,
  type TString,
  Type,
} from "@sinclair/typebox";

/** Every error the API answers: AWS's code and a sentence. */
export const ErrorResponse = Type.Object(
  { code: Type.String({ examples: ["ValidationError"] }), message: Type.String() },
  { $id: "ErrorResponse", description: "An AWS-style error" },
);

export const errorRef = Type.Ref(ErrorResponse);

/** The error statuses a route can answer, all with the ErrorResponse body. */
export function errors(...statuses: Array<400 | 401 | 404 | 409>) {
  const entries: Record<number, typeof errorRef> = { 401: errorRef };
  for (const status of statuses) entries[status] = errorRef;
  return entries;
}

// Shapes the services declare (with AWS's lengths), used by the routes as they are.
export { Dimension, StringEnum, Tag, Tags } from "@scaleout/services";

export const Attribute = Type.Object(
  { key: Type.String({ maxLength: 256 }), value: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);
export const AttributesBody = Type.Object(
  { attributes: Type.Array(Attribute, { minItems: 1 }) },
  { additionalProperties: false },
);
export const AttributesResponse = Type.Object({ attributes: Type.Array(Attribute) });

export const PageQuery = Type.Object(
  {
    pageSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 400, description: "Items per page (default 100)" }),
    ),
    nextToken: Type.Optional(Type.String({ description: "The nextToken of the previous page" })),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

/** `{ <member>: T[], nextToken? }`: AWS's plural member plus the continuation token. */
export function PageOf<K extends string, T extends TSchema>(member: K, item: T) {
  return Type.Object({
    [member]: Type.Array(item),
    nextToken: Type.Optional(Type.String()),
  }) as unknown as TObject<{ [P in K]: TArray<T> } & { nextToken: TOptional<TString> }>;
}

/** The longest AWS name of a resource here is 255 characters (groups, policies, alarms). */
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
export const IdParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: "The last segment of the ARN, or the whole ARN",
  }),
});
