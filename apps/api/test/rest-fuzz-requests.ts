import fc from "fast-check";

/*
 * Random REST requests for the fuzz test, drawn from the api's own OpenAPI document (what openapi.yaml
 * holds): any route and method, path parameters that exist or are hostile, bodies shaped by the route's
 * schema and then spoiled, and raw bodies no schema describes (deep, truncated, poisoned, wrong type).
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
}

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface RestRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers: Record<string, string>;
  body?: string;
  [fc.toStringMethod](): string;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const hostileString: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(256, 2_049, 50_001, 120_000).map((n) => "a".repeat(n)),
  fc.constantFrom(2_047, 60_000).map((n) => "f".repeat(n)),
  fc.constantFrom(
    "",
    "\u0000",
    "\ud800",
    "%",
    "%_%",
    "arn:",
    "+275760-09-13T00:00:00.001Z",
    "2026-13-45T99:99:99Z",
    "-8640000000001",
    "__proto__",
  ),
);

const hostileNumber: fc.Arbitrary<Json> = fc.constantFrom(
  -1,
  2 ** 31,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
  1.5,
  "7",
);

const anything: fc.Arbitrary<Json> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 3 }),
);

function fromSchema(
  schema: JsonSchema | undefined,
  known: fc.Arbitrary<Json>,
  depth = 0,
): fc.Arbitrary<Json> {
  if (schema === undefined || depth > 8) return anything;
  const shaped = shapedFromSchema(schema, known, depth);
  return fc.oneof({ arbitrary: shaped, weight: 8 }, { arbitrary: anything, weight: 1 });
}

function shapedFromSchema(schema: JsonSchema, known: fc.Arbitrary<Json>, depth: number): fc.Arbitrary<Json> {
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0) return fc.oneof(...choices.map((c) => fromSchema(c, known, depth + 1)));
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as Json[]));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const properties = Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const required = schema.required?.includes(name) ?? false;
        const value = fromSchema(property, known, depth + 1);
        return fc
          .oneof(
            { arbitrary: value, weight: required ? 9 : 1 },
            { arbitrary: fc.constant(undefined), weight: 1 },
          )
          .map((v) => [name, v] as const);
      });
      return fc
        .tuple(...properties)
        .map((pairs) =>
          Object.fromEntries(pairs.filter((p): p is readonly [string, Json] => p[1] !== undefined)),
        );
    }
    case "array":
      return fc.array(fromSchema(schema.items, known, depth + 1), { maxLength: 4 });
    case "integer":
    case "number":
      return fc.integer({
        min: Math.max(schema.minimum ?? 0, -1_000_000),
        max: Math.max(
          Math.max(schema.minimum ?? 0, -1_000_000),
          Math.min(schema.maximum ?? 1_000, 1_000_000),
        ),
      });
    case "boolean":
      return fc.boolean();
    case "string":
      return fc.oneof(
        known,
        fc.string({
          unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-"),
          minLength: Math.min(schema.minLength ?? 1, 20),
          maxLength: Math.max(Math.min(schema.minLength ?? 1, 20), Math.min(schema.maxLength ?? 20, 20)),
        }),
        hostileString,
      );
    default:
      return anything;
  }
}

/** Raw bodies no serializer writes. */
const rawBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(65, 5_000, 200_000).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  fc.constantFrom(65, 5_000).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`),
  fc.constantFrom(
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    "{",
    '{"name":',
    "null",
    "[]",
    '"x"',
    "1e999",
    "\u0000",
  ),
);

function toJson(value: Json): string {
  return JSON.stringify(value) ?? "null";
}

/** A path parameter: an existing name or id, or a hostile string, URL-encoded or not. */
function pathValue(known: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: known.map((k) => encode(String(k))), weight: 4 },
    { arbitrary: hostileString.map((s) => encode(String(s)).slice(0, 3_000)), weight: 2 },
    { arbitrary: fc.constantFrom("%", "%ZZ", "%E0%A4%A", "%00", "..", "%2F", "a%2Fb"), weight: 1 },
  );
}

/** encodeURIComponent, with a lone surrogate written as the bytes UTF-8 would give it: invalid on purpose. */
function encode(text: string): string {
  return text
    .split(/([\ud800-\udfff])/)
    .map((part) =>
      /^[\ud800-\udfff]$/.test(part)
        ? `%ED%${(0xa0 + ((part.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%80`
        : encodeURIComponent(part),
    )
    .join("");
}

const methods = ["get", "post", "put", "patch", "delete"] as const;

/** Random REST requests over every route and method of `document`. */
export function restRequests(document: OpenApiDocument, known: readonly string[]): fc.Arbitrary<RestRequest> {
  const knownValue = fc.constantFrom<Json>(...known);
  const routes = Object.entries(document.paths).flatMap(([path, item]) =>
    methods.filter((m) => item[m] !== undefined).map((method) => ({ path, method, operation: item[method] })),
  );
  return fc.constantFrom(...routes).chain(({ path, method, operation }) => {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
    const schema = operation?.requestBody?.content?.["application/json"]?.schema;
    const query = (operation?.parameters ?? []).filter((p) => p.in === "querystring" || p.in === "query");
    return fc
      .record({
        params: fc.tuple(...names.map(() => pathValue(knownValue))),
        query: fc.tuple(...query.map((q) => fc.option(fromSchema(q.schema, knownValue), { nil: undefined }))),
        body: fc.oneof(
          { arbitrary: fromSchema(schema, knownValue).map(toJson), weight: schema ? 8 : 1 },
          { arbitrary: rawBody, weight: 1 },
          { arbitrary: fc.constant(undefined), weight: 1 },
        ),
        contentType: fc.oneof(
          { arbitrary: fc.constant("application/json"), weight: 12 },
          {
            arbitrary: fc.constantFrom(
              "text/plain",
              "application/x-www-form-urlencoded",
              "application/json; charset=latin1",
              "",
            ),
            weight: 1,
          },
        ),
        truncateAt: fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 12 },
          { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 1 },
        ),
      })
      .map(({ params, query: values, body, contentType, truncateAt }): RestRequest => {
        let url = path;
        names.forEach((name, i) => {
          url = url.replace(`{${name}}`, params[i] ?? "");
        });
        const search = query
          .map((q, i) => [q.name, values[i]] as const)
          .filter((pair): pair is readonly [string, Json] => pair[1] !== undefined)
          .map(([name, v]) => `${name}=${encode(typeof v === "string" ? v : toJson(v)).slice(0, 3_000)}`)
          .join("&");
        if (search !== "") url += `?${search}`;
        const text =
          body !== undefined && truncateAt !== undefined
            ? body.slice(0, Math.floor(body.length * truncateAt))
            : body;
        const upper = method.toUpperCase() as RestRequest["method"];
        return {
          method: upper,
          url,
          headers: text === undefined ? {} : { "content-type": contentType },
          ...(text !== undefined && { body: text }),
          [fc.toStringMethod]: () => {
            const shown =
              text === undefined
                ? ""
                : text.length > 1_000
                  ? `${text.slice(0, 1_000)}... (${text.length})`
                  : text;
            return `${upper} ${url.length > 500 ? `${url.slice(0, 500)}...` : url} ${contentType}\n${shown}`;
          },
        };
      });
  });
}
