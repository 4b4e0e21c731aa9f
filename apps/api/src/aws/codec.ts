import { type AwsError, timestampInRange } from "@scaleout/core";
import { echo } from "./echo.ts";
import {
  awsName,
  type Member,
  memberOptions,
  memberShape,
  type Shape,
  type StructureShape,
} from "./shapes.ts";

/*
 * Reads requests and writes responses by shape, in the three wire forms the four services use:
 * - "query": form parameters `Targets.member.1.Id=...`, responses in XML with `<member>` list items;
 * - "ec2": EC2's variant, lists flattened (`LaunchTemplateId.1=...`), request keys from the model's query
 *   names, responses with lowerCamel element names and `<item>` list items;
 * - "json": awsJson1_0 and awsJson1_1 bodies (the same shapes) with AWS member names, timestamps as Unix
 *   seconds.
 * Blobs are base64 in all of them.
 */

export type Wire = "query" | "ec2" | "json";

/** How a service words the errors of a request that does not fit its shape. */
export interface InputErrors {
  missing(path: string): AwsError;
  invalid(path: string, value: string, expected: string): AwsError;
  /** A parameter AWS accepts that scaleout refuses, with why. */
  unsupported(path: string, message: string): AwsError;
  /** A value outside its model's constraint (Smithy's wording: "Member must have length ..."). */
  violated(path: string, value: string, constraint: string): AwsError;
}

// ---- Form parameters -------------------------------------------------------------------------------------

export interface FormNode {
  value?: string;
  children: Map<string, FormNode>;
}

/** `A.member.1.B=x` pairs as a tree of their dotted segments. */
export function formTree(params: Iterable<[string, string]>): FormNode {
  const root: FormNode = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const segment of key.split(".")) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.value = value;
  }
  return root;
}

function numbered(node: FormNode | undefined): FormNode[] {
  if (!node) return [];
  return [...node.children.entries()]
    .filter(([key]) => /^[1-9]\d*$/.test(key))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, child]) => child);
}

const isEmpty = (node: FormNode) =>
  node.children.size === 0 && (node.value === undefined || node.value === "");

function requestKey(wire: Wire, key: string, member: Member): string {
  return wire === "ec2" ? (memberOptions(member).query ?? awsName(key, member)) : awsName(key, member);
}

/** Smithy's integer is 32 bits: a larger value is refused, not stored as a float in SQLite. */
const isInt32 = (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;

/** Strict base64 (padding optional, whitespace between lines allowed), decoded to UTF-8 text. */
function blobIn(raw: string, path: string, errors: InputErrors): string {
  const compact = raw.replace(/[\r\n\t ]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw errors.invalid(path, echo(raw), "base64-encoded bytes");
  return Buffer.from(compact, "base64").toString("utf8");
}

function scalar(shape: Shape, raw: string, path: string, errors: InputErrors): unknown {
  switch (shape.kind) {
    case "string":
      return raw;
    case "blob":
      return blobIn(raw, path, errors);
    case "integer": {
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !isInt32(value)) throw errors.invalid(path, echo(raw), "an integer");
      return value;
    }
    case "double": {
      const value = raw.trim() === "" ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) throw errors.invalid(path, echo(raw), "a number");
      return value;
    }
    case "boolean": {
      const lower = raw.toLowerCase();
      if (lower !== "true" && lower !== "false") throw errors.invalid(path, echo(raw), "true or false");
      return lower === "true";
    }
    case "timestamp":
      return timestampIn(raw, path, errors);
    default:
      throw errors.invalid(path, echo(raw), "a structure or list");
  }
}

/** An ISO 8601 string or Unix seconds, to ISO 8601; out of range is a bad value, not a RangeError. */
function timestampIn(raw: string | number, path: string, errors: InputErrors): string {
  const ms =
    typeof raw === "number"
      ? raw * 1000
      : /^-?\d+(\.\d+)?$/.test(raw.trim())
        ? Number(raw) * 1000
        : Date.parse(raw);
  if (!timestampInRange(ms))
    throw errors.invalid(path, echo(String(raw)), "an ISO 8601 timestamp between 1970 and 9999");
  return new Date(ms).toISOString();
}

function decodeForm(shape: Shape, node: FormNode, path: string, wire: Wire, errors: InputErrors): unknown {
  switch (shape.kind) {
    case "unsupported":
      throw errors.unsupported(path, shape.message);
    case "document":
      throw errors.unsupported(path, "This member is only accepted in the JSON protocol");
    case "structure": {
      const result: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(shape.members)) {
        const name = requestKey(wire, key, member);
        const childPath = path ? `${path}.${name}` : name;
        const child = node.children.get(name);
        const inner = memberShape(member);
        // An empty value is a value for a string ("Marker=") and an empty list for a list ("Tags=").
        if (!child || (isEmpty(child) && inner.kind !== "string" && inner.kind !== "list")) {
          if (memberOptions(member).required) throw errors.missing(childPath);
          continue;
        }
        result[key] = decodeForm(inner, child, childPath, wire, errors);
      }
      return result;
    }
    case "list": {
      if (isEmpty(node)) return [];
      const items =
        wire === "ec2" ? numbered(node) : numbered(node.children.get(shape.memberName ?? "member"));
      if (items.length === 0 && node.value !== undefined)
        throw errors.invalid(path, echo(node.value), "a list (Name.member.N)");
      const memberPath = wire === "ec2" ? path : `${path}.${shape.memberName ?? "member"}`;
      return items.map((item, i) => decodeForm(shape.member, item, `${memberPath}.${i + 1}`, wire, errors));
    }
    case "map": {
      const entries = wire === "ec2" ? numbered(node) : numbered(node.children.get("entry"));
      // fromEntries defines own properties: a `__proto__` key stays a key, not the map's prototype.
      return Object.fromEntries(
        entries.map((entry, i) => {
          const key = entry.children.get("key")?.value;
          const value = entry.children.get("value");
          if (key === undefined || !value) throw errors.missing(`${path}.entry.${i + 1}.key`);
          return [key, decodeForm(shape.value, value, `${path}.entry.${i + 1}.value`, wire, errors)];
        }),
      );
    }
    default:
      if (node.value === undefined) throw errors.invalid(path, "", `a single value, not a structure`);
      return scalar(shape, node.value, path, errors);
  }
}

/** A query or EC2 request's parameters, decoded by the operation's input shape into camelCase members. */
export function decodeFormInput(
  shape: StructureShape,
  params: FormNode,
  wire: "query" | "ec2",
  errors: InputErrors,
): Record<string, unknown> {
  return decodeForm(shape, params, "", wire, errors) as Record<string, unknown>;
}

function decodeJsonValue(shape: Shape, value: unknown, path: string, errors: InputErrors): unknown {
  // The body's nesting depth is bounded before it is parsed (see jsonBody), so stringifying cannot overflow.
  const text = () => echo(typeof value === "string" ? value : (JSON.stringify(value) ?? ""));
  switch (shape.kind) {
    case "unsupported":
      throw errors.unsupported(path, shape.message);
    case "document":
      return value;
    case "structure": {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw errors.invalid(path, text(), "a structure");
      const source = value as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(shape.members)) {
        const name = awsName(key, member);
        const childPath = path ? `${path}.${name}` : name;
        const child = source[name];
        if (child === undefined || child === null) {
          if (memberOptions(member).required) throw errors.missing(childPath);
          continue;
        }
        result[key] = decodeJsonValue(memberShape(member), child, childPath, errors);
      }
      return result;
    }
    case "list":
      if (!Array.isArray(value)) throw errors.invalid(path, text(), "a list");
      return value.map((item, i) => decodeJsonValue(shape.member, item, `${path}.${i + 1}`, errors));
    case "map": {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw errors.invalid(path, text(), "a map");
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          decodeJsonValue(shape.value, v, `${path}.${k}`, errors),
        ]),
      );
    }
    case "string":
      if (typeof value !== "string") throw errors.invalid(path, text(), "a string");
      return value;
    case "blob":
      if (typeof value !== "string") throw errors.invalid(path, text(), "base64-encoded bytes");
      return blobIn(value, path, errors);
    case "integer":
      if (typeof value !== "number" || !isInt32(value)) throw errors.invalid(path, text(), "an integer");
      return value;
    case "double":
      if (typeof value !== "number" || !Number.isFinite(value))
        throw errors.invalid(path, text(), "a number");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw errors.invalid(path, text(), "true or false");
      return value;
    case "timestamp":
      if (typeof value !== "number" && typeof value !== "string")
        throw errors.invalid(path, text(), "a timestamp");
      return timestampIn(value, path, errors);
  }
}

/** An awsJson1_0 or 1_1 request body, decoded by the operation's input shape into camelCase members. */
export function decodeJsonInput(
  shape: StructureShape,
  body: unknown,
  errors: InputErrors,
): Record<string, unknown> {
  return decodeJsonValue(shape, body ?? {}, "", errors) as Record<string, unknown>;
}

// ---- Responses -------------------------------------------------------------------------------------------

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r/g, "&#xD;");
}

function timestampMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value;
  return Date.parse(String(value));
}

function elementName(wire: "query" | "ec2", key: string, member: Member): string {
  return wire === "ec2" ? (memberOptions(member).xml ?? key) : awsName(key, member);
}

/** The XML content of `value` by `shape` (without its own element). */
export function xmlContent(shape: Shape, value: unknown, wire: "query" | "ec2"): string {
  switch (shape.kind) {
    case "structure": {
      if (typeof value !== "object" || value === null) return "";
      const source = value as Record<string, unknown>;
      let out = "";
      for (const [key, member] of Object.entries(shape.members)) {
        const child = source[key];
        if (child === undefined || child === null) continue;
        const name = elementName(wire, key, member);
        const inner = xmlContent(memberShape(member), child, wire);
        out += inner === "" ? `<${name}/>` : `<${name}>${inner}</${name}>`;
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) return "";
      const item = shape.memberName ?? (wire === "ec2" ? "item" : "member");
      return value.map((v) => `<${item}>${xmlContent(shape.member, v, wire)}</${item}>`).join("");
    }
    case "map": {
      if (typeof value !== "object" || value === null) return "";
      return Object.entries(value as Record<string, unknown>)
        .map(
          ([k, v]) =>
            `<entry><key>${escapeXml(k)}</key><value>${xmlContent(shape.value, v, wire)}</value></entry>`,
        )
        .join("");
    }
    case "timestamp":
      return new Date(timestampMs(value)).toISOString();
    case "blob":
      return Buffer.from(String(value), "utf8").toString("base64");
    case "boolean":
      return value ? "true" : "false";
    case "unsupported":
      return "";
    case "document":
      return escapeXml(JSON.stringify(value) ?? "");
    default:
      return escapeXml(String(value));
  }
}

/** The JSON form (1.0 and 1.1) of `value` by `shape`: AWS member names, timestamps in Unix seconds. */
export function jsonValue(shape: Shape, value: unknown): unknown {
  switch (shape.kind) {
    case "document":
      return value;
    case "structure": {
      if (typeof value !== "object" || value === null) return {};
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(shape.members)) {
        const child = source[key];
        if (child === undefined || child === null) continue;
        out[awsName(key, member)] = jsonValue(memberShape(member), child);
      }
      return out;
    }
    case "list":
      return Array.isArray(value) ? value.map((v) => jsonValue(shape.member, v)) : [];
    case "map":
      return typeof value === "object" && value !== null
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonValue(shape.value, v)]),
          )
        : {};
    case "timestamp":
      return timestampMs(value) / 1000;
    case "blob":
      return Buffer.from(String(value), "utf8").toString("base64");
    case "integer":
    case "double":
      return Number(value);
    case "boolean":
      return Boolean(value);
    case "unsupported":
      return undefined;
    default:
      return String(value);
  }
}
