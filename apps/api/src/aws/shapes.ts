/*
 * A small description language for the AWS wire shapes scaleout speaks: just enough of the botocore /
 * Smithy model (structure, list, map, scalars, member names and their XML and EC2 query names) for one
 * codec to read requests and write responses in all three protocols. Members are declared by their
 * camelCase name, the vocabulary of the services; the AWS member name is derived from it (see
 * `awsName`), so a shape reads the services' objects as they are.
 */

export interface StringShape {
  kind: "string";
}
export interface IntegerShape {
  kind: "integer";
}
export interface DoubleShape {
  kind: "double";
}
export interface BooleanShape {
  kind: "boolean";
}
/** Read as an ISO 8601 string; written from an ISO string, a Date or Unix milliseconds. */
export interface TimestampShape {
  kind: "timestamp";
}
/**
 * Bytes: base64 on the wire (JSON and query alike), the decoded bytes read as UTF-8 text here. The one
 * service with blobs, ACM, carries PEM text in them.
 */
export interface BlobShape {
  kind: "blob";
}
/** Accepted by the AWS API but not by scaleout: any value is refused with `message`. */
export interface UnsupportedShape {
  kind: "unsupported";
  message: string;
}
/**
 * A JSON value taken and answered as it is, for members whose shape is recursive (WAF's rule statements)
 * or checked by the services anyway: the service reads it as hostile input. The JSON protocols only.
 */
export interface DocumentShape {
  kind: "document";
}
export interface ListShape<S extends Shape = Shape> {
  kind: "list";
  member: S;
  /** The element name of each item in XML (`member` in the query protocol, `item` in EC2's). */
  memberName?: string;
}
export interface MapShape<V extends Shape = Shape> {
  kind: "map";
  value: V;
}
export interface StructureShape<M extends Members = Members> {
  kind: "structure";
  members: M;
}

export type Shape =
  | StringShape
  | IntegerShape
  | DoubleShape
  | BooleanShape
  | TimestampShape
  | BlobShape
  | UnsupportedShape
  | DocumentShape
  | ListShape
  | MapShape
  | StructureShape;

export interface MemberOptions {
  required?: boolean;
  /** The AWS member name when it is not the camelCase name capitalised (see `nameExceptions`). */
  name?: string;
  /** EC2 only: the element name in responses when it is not the camelCase name (`tagSet`). */
  xml?: string;
  /** EC2 only: the request key when it is not the member name (`LaunchTemplateId` for `LaunchTemplateIds`). */
  query?: string;
}

export interface MemberSpec<S extends Shape = Shape> extends MemberOptions {
  shape: S;
}

export type Member = Shape | MemberSpec;
export type Members = Record<string, Member>;

// ---- Constructors ------------------------------------------------------------------------------------

export const str: StringShape = { kind: "string" };
export const int: IntegerShape = { kind: "integer" };
export const dbl: DoubleShape = { kind: "double" };
export const bool: BooleanShape = { kind: "boolean" };
export const ts: TimestampShape = { kind: "timestamp" };
export const blob: BlobShape = { kind: "blob" };
export const doc: DocumentShape = { kind: "document" };

export const list = <S extends Shape>(member: S, memberName?: string): ListShape<S> => ({
  kind: "list",
  member,
  ...(memberName !== undefined && { memberName }),
});
export const map = <V extends Shape>(value: V): MapShape<V> => ({ kind: "map", value });
export const struct = <M extends Members>(members: M): StructureShape<M> => ({ kind: "structure", members });
export const unsupported = (message: string): UnsupportedShape => ({ kind: "unsupported", message });

/** A required member. */
export const req = <S extends Shape>(
  shape: S,
  options: Omit<MemberOptions, "required"> = {},
): MemberSpec<S> & { required: true } => ({
  ...options,
  shape,
  required: true,
});
/** An optional member with naming options. */
export const opt = <S extends Shape>(shape: S, options: Omit<MemberOptions, "required">): MemberSpec<S> => ({
  ...options,
  shape,
});

export function memberShape(member: Member): Shape {
  return "shape" in member ? member.shape : member;
}
export function memberOptions(member: Member): MemberOptions {
  return "shape" in member ? member : {};
}

// ---- Names -------------------------------------------------------------------------------------------

/**
 * The one table of AWS member names that are not the camelCase name with its first letter capitalised.
 * The services' field names are AWS's with the first letter lowered, except where AWS starts with an
 * acronym: those are lowered whole (dnsName for DNSName).
 */
export const nameExceptions: Readonly<Record<string, string>> = {
  dnsName: "DNSName",
  okActions: "OKActions",
  vpcZoneIdentifier: "VPCZoneIdentifier",
};

export function awsName(key: string, member?: Member): string {
  const override = member === undefined ? undefined : memberOptions(member).name;
  return override ?? nameExceptions[key] ?? `${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

// ---- Static types --------------------------------------------------------------------------------------

type ShapeOf<M> = M extends MemberSpec<infer S> ? S : M;
type IsRequired<M> = M extends { required: true } ? true : false;

/** What a request decodes to. Timestamps arrive as ISO 8601 strings. */
export type Static<S> = S extends DocumentShape
  ? unknown
  : S extends StringShape | TimestampShape | BlobShape
    ? string
    : S extends IntegerShape | DoubleShape
      ? number
      : S extends BooleanShape
        ? boolean
        : S extends UnsupportedShape
          ? never
          : S extends ListShape<infer I>
            ? Array<Static<I>>
            : S extends MapShape<infer V>
              ? Record<string, Static<V>>
              : S extends StructureShape<infer M>
                ? StaticStruct<M>
                : never;

type StaticStruct<M extends Members> = {
  [K in keyof M as IsRequired<M[K]> extends true ? K : never]: Static<ShapeOf<M[K]>>;
} & {
  [K in keyof M as IsRequired<M[K]> extends true ? never : K]?: Static<ShapeOf<M[K]>>;
};

/** What a handler may answer: every member optional; timestamps as ISO strings, Dates or milliseconds. */
export type Out<S> = [S] extends [DocumentShape]
  ? unknown
  : [S] extends [StringShape | BlobShape]
    ? string
    : [S] extends [TimestampShape]
      ? string | Date | number
      : [S] extends [IntegerShape | DoubleShape]
        ? number
        : [S] extends [BooleanShape]
          ? boolean
          : [S] extends [ListShape<infer I>]
            ? ReadonlyArray<Out<I>>
            : [S] extends [MapShape<infer V>]
              ? Record<string, Out<V>>
              : [S] extends [StructureShape<infer M>]
                ? { [K in keyof M]?: Out<ShapeOf<M[K]>> | undefined }
                : never;
