import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { type Constraint, constraintsOf } from "../../src/aws/constraints.ts";
import type { AwsService } from "../../src/aws/operation.ts";
import { awsServices, serviceModels } from "../../src/aws/registry.ts";
import { awsName, memberOptions, memberShape, type Shape } from "../../src/aws/shapes.ts";

/*
 * Random AWS-door requests for the fuzz test: an operation of any served service (or one the door does not
 * serve), parameters shaped by the operation's own input shape and model constraints and then spoiled
 * (too long, wrong types, deep nesting, unicode, huge numbers, bad timestamps and enums, members left out),
 * in any encoding (query form, EC2's form, JSON 1.0 and 1.1) with spoiled framing on top (wrong content
 * types, truncated bodies, bad percent-encoding, bogus gzip, hostile SigV4 scopes).
 */

/** Text put into a JSON body or a form value as it is: a nesting no serializer would write. */
class Raw {
  constructor(readonly text: string) {}
}

type Encoding = "query" | "json";
type WireValue = string | number | boolean | null | Raw | WireValue[] | { [key: string]: WireValue };

export interface FuzzRequest {
  description: string;
  headers: Record<string, string>;
  body: string | Buffer;
  [fc.toStringMethod](): string;
}

const deep = (depth: number) => new Raw(`${"[".repeat(depth)}${"]".repeat(depth)}`);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

/** Strings no model admits, or that have broken something somewhere before. */
const hostileString: fc.Arbitrary<WireValue> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(256, 2_049, 50_001, 120_000).map((n) => "a".repeat(n)),
  // All-hex ids are looked up by ARN suffix with LIKE, whose pattern SQLite limits to 50,000 bytes.
  fc.constantFrom(17, 2_049, 60_000).map((n) => "f".repeat(n)),
  hex(16).map((id) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/fuzz/${id}/${id}`),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\ud800",
    "%",
    "%_%",
    "\\",
    "'; DROP TABLE load_balancers; --",
    "<x>&amp;</x>",
    "$\u007bjndi:x}",
    "$Latest",
    "$Default",
    "arn:",
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/y",
    "i-00000000000000000",
    "ﬀ\u202e\ufeff",
    "__proto__",
    "constructor",
    "toString",
  ),
);

const hostileNumber: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constantFrom(-1, 0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e21, 1e308, -1e308, 1.5, -0),
  fc.constantFrom("abc", "1e3", "0x10", " 7", "", "NaN", "Infinity", "9".repeat(400)),
  fc.double(),
);

const hostileTimestamp: fc.Arbitrary<WireValue> = fc.constantFrom(
  "+275760-09-13T00:00:00.001Z",
  "-271821-04-20T00:00:00.000Z",
  "2026-13-45T99:99:99Z",
  "10000-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "8640000000001",
  "-8640000000001",
  "1e400",
  "9".repeat(40),
  "NaN",
  "",
  8.64e12,
  -1e20,
  1e308,
);

/** Any value at all, for a member whose type the request gets wrong. */
const anything: fc.Arbitrary<WireValue> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(65, 2_000, 100_000).map(deep),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 3 }),
);

function validString(rule: Constraint | undefined): fc.Arbitrary<WireValue> {
  if (rule?.enum) return fc.constantFrom(...rule.enum);
  const min = Math.min(rule?.min ?? 1, 20);
  const max = Math.max(min, Math.min(rule?.max ?? 20, 20));
  return fc.string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-"),
    minLength: min,
    maxLength: max,
  });
}

function validNumber(rule: Constraint | undefined, integer: boolean): fc.Arbitrary<WireValue> {
  const min = Math.max(rule?.min ?? 0, -1_000_000);
  const max = Math.min(rule?.max ?? 1_000, 1_000_000);
  return integer
    ? fc.integer({ min, max: Math.max(min, max) })
    : fc.double({ min, max: Math.max(min, max), noNaN: true });
}

const validTimestamp: fc.Arbitrary<WireValue> = fc
  .integer({ min: 1_600_000_000, max: 1_900_000_000 })
  .chain((seconds) => fc.constantFrom<WireValue>(seconds, new Date(seconds * 1000).toISOString()));

/** Base64 of PEM-looking text that is no certificate or key: the material is refused, not crashed on. */
const validBlob: fc.Arbitrary<WireValue> = fc
  .oneof(
    fc.string({ maxLength: 200 }),
    fc
      .constantFrom("CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
      .chain((label) =>
        fc
          .base64String({ maxLength: 400 })
          .map((body) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`),
      ),
  )
  .map((text) => Buffer.from(text, "utf8").toString("base64"));

const hostileBlob: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constantFrom("not base64!", "====", "A", "\u0000", "-----BEGIN CERTIFICATE-----"),
  fc.constantFrom(40_000, 3_000_000).map((n) => Buffer.alloc(n, 0x41).toString("base64")),
);

/** How one request's parameters are drawn. */
interface Draw {
  encoding: Encoding;
  wire: AwsService["wire"];
  /** Names and ARNs of resources that exist. */
  known: fc.Arbitrary<WireValue>;
  /**
   * Whether values may be spoiled. A request of many members almost always has one spoiled member and
   * stops at validation; clean requests get into the operations and the services behind them.
   */
  hostile: boolean;
}

/** `good` mostly, `bad` in one of `n` when the draw is hostile. */
function spoiled<T>(draw: Draw, good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, n: number): fc.Arbitrary<T> {
  return draw.hostile ? fc.oneof({ arbitrary: good, weight: n - 1 }, { arbitrary: bad, weight: 1 }) : good;
}

/** A member's value: mostly what its shape asks for, sometimes anything. */
function value(shape: Shape, rule: Constraint | undefined, draw: Draw): fc.Arbitrary<WireValue> {
  return spoiled(draw, shapedValue(shape, rule, draw), anything, 7);
}

function shapedValue(shape: Shape, rule: Constraint | undefined, draw: Draw): fc.Arbitrary<WireValue> {
  switch (shape.kind) {
    case "string":
      return spoiled(draw, fc.oneof(validString(rule), draw.known), hostileString, 4);
    case "integer":
    case "double":
      return spoiled(draw, validNumber(rule, shape.kind === "integer"), hostileNumber, 4);
    case "boolean":
      return spoiled(draw, fc.boolean(), fc.constantFrom<WireValue>("maybe", 1, "TRUE"), 3);
    case "timestamp":
      return spoiled(draw, validTimestamp, hostileTimestamp, 3);
    case "blob":
      return spoiled(draw, validBlob, hostileBlob, 3);
    case "unsupported":
    case "document":
      return anything;
    case "list": {
      // Clean lists are not empty: an empty list is no parameter at all in the query form.
      const items = fc.array(value(shape.member, rule?.member, draw), {
        minLength: draw.hostile ? 0 : 1,
        maxLength: 4,
      });
      if (draw.encoding === "json") return items;
      // Query lists are `Name.member.N`, EC2's `Name.N`: numbered keys of an object, flattened later.
      const numbered = items.map((list) => Object.fromEntries(list.map((item, i) => [String(i + 1), item])));
      return draw.wire === "ec2" ? numbered : numbered.map((n) => ({ [shape.memberName ?? "member"]: n }));
    }
    case "map": {
      const entries = fc.array(fc.tuple(validString(rule?.key), value(shape.value, rule?.value, draw)), {
        maxLength: 3,
      });
      if (draw.encoding === "json") return entries.map((list) => Object.fromEntries(list));
      return entries.map((list) => ({
        entry: Object.fromEntries(list.map(([key, v], i) => [String(i + 1), { key, value: v }])),
      }));
    }
    case "structure": {
      // A clean request leaves out what scaleout refuses outright (UnsupportedShape).
      const wanted = Object.entries(shape.members).filter(
        ([, member]) => draw.hostile || memberShape(member).kind !== "unsupported",
      );
      const members = wanted.map(([key, member]) => {
        const name = awsName(key, member);
        const requestName =
          draw.wire === "ec2" && draw.encoding === "query" ? (memberOptions(member).query ?? name) : name;
        const inner = value(memberShape(member), rule?.members?.[name], draw);
        // Optional members are there half the time; required ones go missing only in hostile draws.
        const absent = fc.constant(undefined);
        const drawn = memberOptions(member).required
          ? spoiled(draw, inner, absent, 10)
          : fc.oneof(inner, absent);
        return drawn.map((v) => [requestName, v] as const);
      });
      return fc
        .tuple(...members)
        .map((pairs) =>
          Object.fromEntries(
            pairs.filter((pair): pair is readonly [string, WireValue] => pair[1] !== undefined),
          ),
        );
    }
  }
}

function toJson(v: WireValue): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, item]) => `${JSON.stringify(k)}:${toJson(item)}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function flatten(v: WireValue, prefix: string, out: Array<[string, string]>): void {
  if (v instanceof Raw) {
    out.push([prefix, v.text]);
  } else if (Array.isArray(v)) {
    v.forEach((item, i) => {
      flatten(item, `${prefix}.member.${i + 1}`, out);
    });
  } else if (v !== null && typeof v === "object") {
    for (const [k, item] of Object.entries(v)) flatten(item, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.push([prefix, String(v)]);
  }
}

/** What the SDKs send: the query form, and JSON 1.0 (CloudWatch) or 1.1 (older clients and the CLI). */
const contentTypes = {
  query: ["application/x-www-form-urlencoded; charset=utf-8"],
  json: ["application/x-amz-json-1.0", "application/x-amz-json-1.1"],
} as const;

const wrongContentTypes = [
  "application/json",
  "text/plain",
  "text/xml",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded; charset=latin1",
  "",
];

/** `arbitrary` once in `n` requests, null otherwise. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> =>
  fc.oneof({ arbitrary: fc.constant(null), weight: n - 1 }, { arbitrary, weight: 1 });

/** What spoils a well-formed request's framing, each now and then. */
const framing = fc.record({
  variant: fc.nat(),
  contentType: rarely(fc.constantFrom(...wrongContentTypes), 6),
  truncateAt: rarely(fc.double({ min: 0, max: 1, noNaN: true }), 12),
  badPercent: rarely(fc.constantFrom("%", "%Z", "%ZZ", "%E0%A4%A", "%FF%FE", "%00", "%C0%AF"), 12),
  deepKey: rarely(fc.constantFrom(100, 5_000), 20),
  encoding: rarely(fc.constantFrom("gzip", "bogus-gzip", "deflate", "gzip, identity"), 15),
  scope: rarely(
    fc.tuple(
      fc.constantFrom("eu-west-1", "us-east-1", "x".repeat(3_000), "../..", "eu-west-1\u0000", "unsigned"),
      fc.constantFrom("elasticloadbalancing", "autoscaling", "ec2", "monitoring", "acm", "s3", ""),
    ),
    6,
  ),
});

type Framing = typeof framing extends fc.Arbitrary<infer F> ? F : never;

const actionsOf = (service: AwsService) => Object.keys(service.operations);

/** An action AWS has and scaleout does not serve, or none at all. */
const strayAction = (service: AwsService): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...serviceModels[service.id].operations),
    fc.constantFrom("", "Describe%00", "x".repeat(5_000), "__proto__", "constructor", "toString"),
  );

function render(
  service: AwsService,
  action: string,
  encoding: Encoding,
  input: WireValue,
  spoil: Framing,
): FuzzRequest {
  const headers: Record<string, string> = {};
  let text: string;
  if (encoding === "json") {
    headers["x-amz-target"] = `${service.json?.targetPrefix ?? "ElasticLoadBalancing_v10"}.${action}`;
    text = toJson(input);
  } else {
    const params: Array<[string, string]> = [
      ["Action", action],
      ["Version", service.version],
    ];
    flatten(input, "", params);
    if (spoil.deepKey !== null)
      params.push([Array.from({ length: spoil.deepKey }, () => "A").join("."), "x"]);
    text = new URLSearchParams(params).toString();
  }
  if (spoil.badPercent !== null) {
    const at = Math.floor(text.length / 2);
    text = `${text.slice(0, at)}${spoil.badPercent}${text.slice(at)}`;
  }
  if (spoil.truncateAt !== null) text = text.slice(0, Math.floor(text.length * spoil.truncateAt));
  const proper = contentTypes[encoding];
  headers["content-type"] = spoil.contentType ?? proper[spoil.variant % proper.length] ?? proper[0];
  // The SDKs sign every request; the door reads the region and service from the scope. Some requests
  // carry a hostile scope, or no signature at all (refused without a token).
  const [region, name] = spoil.scope ?? ["eu-west-1", service.signingName];
  if (region !== "unsigned") {
    headers.authorization = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${encodeURIComponent(region)}/${name}/aws4_request, SignedHeaders=host, Signature=00`;
  }
  let body: string | Buffer = text;
  if (spoil.encoding !== null) {
    headers["content-encoding"] = spoil.encoding === "bogus-gzip" ? "gzip" : spoil.encoding;
    body = spoil.encoding === "gzip" ? gzipSync(text) : Buffer.from(`\u001f\u008b${text}`, "latin1");
  }
  const description = `${service.id} ${action} as ${encoding} ${JSON.stringify(headers)}`;
  return {
    description,
    headers,
    body,
    [fc.toStringMethod]: () => {
      const shown = typeof body === "string" ? body : `<${body.length} bytes: ${body.toString("base64")}>`;
      return `${description}\n${shown.length > 2_000 ? `${shown.slice(0, 2_000)}... (${shown.length} characters)` : shown}`;
    },
  };
}

/** Every served operation, equally likely whichever service serves it. */
const served = awsServices.flatMap((service) => actionsOf(service).map((action) => ({ service, action })));

const target = fc.oneof(
  { arbitrary: fc.constantFrom(...served), weight: 20 },
  {
    arbitrary: fc
      .constantFrom(...awsServices)
      .chain((service) => strayAction(service).map((action) => ({ service, action }))),
    weight: 1,
  },
);

/**
 * Random door requests. `known` are names and ARNs of resources the fuzz may find, change and delete, so
 * that requests get past "not found" into the operations; it must not name what the test checks after.
 */
export function doorRequests(known: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const knownValue = fc.constantFrom<WireValue>(...known);
  return target.chain(({ service, action }) => {
    // JSON to a service that does not speak it is a request to refuse too.
    const encoding = fc.oneof(
      { arbitrary: fc.constant<Encoding>("query"), weight: service.json === undefined ? 8 : 1 },
      // A JSON-only service (ACM) gets query requests now and then too: they must be refused.
      { arbitrary: fc.constant<Encoding>("json"), weight: service.wire === "json" ? 8 : 1 },
    );
    return fc.tuple(encoding, fc.boolean()).chain(([chosen, hostile]) => {
      const operation = Object.hasOwn(service.operations, action) ? service.operations[action] : undefined;
      const draw: Draw = { encoding: chosen, wire: service.wire, known: knownValue, hostile };
      const input = operation
        ? shapedValue(operation.input, constraintsOf(service.id, action), draw)
        : anything;
      return fc.tuple(input, framing).map(([v, spoil]) => render(service, action, chosen, v, spoil));
    });
  });
}
