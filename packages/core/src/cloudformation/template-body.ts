import { Composer, type Document, isAlias, isMap, isScalar, isSeq, type Node, Parser } from "yaml";
import { jsonTooDeep } from "../json-depth.ts";
import { expandShortTag, isShortTag } from "./short-tags.ts";
import { formatError, type TemplateObject, type TemplateValue } from "./value.ts";
import { yamlDepth } from "./yaml-depth.ts";

/**
 * CloudFormation's limits on a template body: 51,200 bytes passed inline (TemplateBody), 1 MB read from
 * S3 (TemplateURL). The engine takes the larger; the door checks the inline one.
 */
export const maxTemplateBytes = 1_000_000;
export const maxInlineTemplateBytes = 51_200;

/** How deep a template may nest. Real templates (CDK output included) nest about fifteen levels. */
export const maxTemplateDepth = 100;

interface Walk {
  doc: Document;
  body: string;
  /** Values still allowed to be produced: aliases (billion laughs) cannot expand past it. */
  budget: number;
  language: "JSON" | "YAML";
}

function position(walk: Walk, node: Node): string {
  const offset = node.range?.[0];
  return offset === undefined ? "" : lineAndColumn(walk.body, offset);
}

function scalarValue(value: unknown): TemplateValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  // .inf and .nan have no JSON form; CloudFormation reads them as the strings they were written as.
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  return String(value);
}

function toTemplate(walk: Walk, node: unknown, depth: number): TemplateValue {
  walk.budget--;
  if (walk.budget < 0)
    throw formatError(`${walk.language} not well-formed. The template expands to too many values (aliases)`);
  if (depth > maxTemplateDepth)
    throw formatError(
      `${walk.language} not well-formed. The template nests deeper than ${maxTemplateDepth} levels`,
    );
  if (isAlias(node)) {
    const target = node.resolve(walk.doc);
    if (target === undefined) throw formatError(`YAML not well-formed. Unknown alias *${node.source}`);
    return toTemplate(walk, target, depth + 1);
  }
  let value: TemplateValue;
  if (isScalar(node)) {
    value = scalarValue(node.value);
  } else if (isSeq(node)) {
    value = node.items.map((item) => toTemplate(walk, item, depth + 1));
  } else if (isMap(node)) {
    const object: TemplateObject = {};
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key)) throw formatError(`${walk.language} not well-formed. Map keys must be scalars`);
      // defineProperty: a key named __proto__ is data, never the object's prototype.
      Object.defineProperty(object, String(scalarValue(key.value)), {
        value: toTemplate(walk, pair.value, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    value = object;
  } else if (node === null || node === undefined) {
    value = null;
  } else {
    throw formatError(`${walk.language} not well-formed.`);
  }
  const tagged: Node | undefined = isScalar(node) || isSeq(node) || isMap(node) ? node : undefined;
  // Standard tags (`!!str`) arrive resolved to `tag:yaml.org,2002:...`; a local `!Name` is CloudFormation's.
  const tag = tagged?.tag;
  if (tagged !== undefined && tag?.startsWith("!")) {
    if (!isShortTag(tag))
      throw formatError(`YAML not well-formed. Unsupported tag ${tag} ${position(walk, tagged)}`);
    // `!Ref` with nothing after it is the empty string, as CloudFormation's parser reads it.
    return expandShortTag(tag, value === null ? "" : value, position(walk, tagged));
  }
  return value;
}

function lineAndColumn(body: string, offset: number): string {
  const before = body.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `(line ${line}, column ${column})`;
}

/**
 * Reads a template body, JSON or YAML (CloudFormation tells them apart by the first character: a JSON
 * template is an object). Hostile input is bounded: body size, nesting depth, alias expansion (the
 * output can hold at most about twice as many values as the body has bytes), duplicate keys refused.
 * Every failure is a ValidationError in CloudFormation's "Template format error" wording.
 */
export function parseTemplateBody(body: string, limit: number = maxTemplateBytes): TemplateObject {
  const bytes = Buffer.byteLength(body, "utf8");
  if (bytes > limit) throw formatError(`Template may not exceed ${limit} bytes in size.`);
  const language = body.trimStart().startsWith("{") ? "JSON" : "YAML";
  if (language === "JSON") {
    if (jsonTooDeep(body, maxTemplateDepth))
      throw formatError(`JSON not well-formed. The template nests deeper than ${maxTemplateDepth} levels`);
    try {
      JSON.parse(body);
    } catch (error) {
      const at = /position (\d+)/.exec(error instanceof Error ? error.message : "");
      throw formatError(
        `JSON not well-formed. ${at?.[1] === undefined ? "" : lineAndColumn(body, Number(at[1]))}`.trim(),
      );
    }
  }
  // One parse into tokens: their depth is checked before the (recursive) composer sees them.
  const tokens = [...new Parser().parse(body)];
  if (yamlDepth(tokens, maxTemplateDepth) > maxTemplateDepth)
    throw formatError(
      `${language} not well-formed. The template nests deeper than ${maxTemplateDepth} levels`,
    );
  let documents: Document[];
  try {
    documents = [...new Composer({ uniqueKeys: true, prettyErrors: false, strict: true }).compose(tokens)];
  } catch (error) {
    if (error instanceof RangeError)
      throw formatError(`${language} not well-formed. The template nests too deeply`);
    throw formatError(`${language} not well-formed.`);
  }
  const doc = documents[0];
  if (doc === undefined) throw formatError("not a valid template: the body is empty");
  if (documents.length > 1) throw formatError(`${language} not well-formed. A template is one YAML document`);
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const duplicate = problem.code === "DUPLICATE_KEY" ? " Duplicate key" : "";
    throw formatError(`${language} not well-formed.${duplicate} ${lineAndColumn(body, problem.pos[0])}`);
  }
  const walk: Walk = { doc, body, budget: 2 * bytes + 1024, language };
  let value: TemplateValue;
  try {
    value = toTemplate(walk, doc.contents, 0);
  } catch (error) {
    if (error instanceof RangeError)
      throw formatError(`${language} not well-formed. The template nests too deeply`);
    throw error;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw formatError("not a valid template: a template is an object with a Resources section");
  return value;
}
