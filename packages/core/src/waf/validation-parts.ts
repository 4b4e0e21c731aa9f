import { invalidParameter, wafCheck } from "./errors.ts";
import { arr, empty, num, type Obj, obj, optStr, setMembers, str, violated } from "./read.ts";
import { supportedTransformations } from "./transform.ts";
import type {
  FieldToMatch,
  ForwardedIPConfig,
  RateBasedStatementCustomKey,
  TextTransformation,
  TextTransformationType,
} from "./types.ts";

/*
 * The parts of WAF's statements, read from hostile JSON into the contract's shape (types.ts): text
 * transformations, the request component (FieldToMatch), forwarded IP configuration, search strings and
 * rate-based custom keys. What the data plane does not evaluate is refused by name
 * (WAFInvalidParameterException) rather than stored and silently never matched.
 */

export interface StatementOptions {
  /** Fast mode: rate-based evaluation windows shorter than WAF's 60 s are allowed. */
  fast: boolean;
}

/** Every transformation of the wafv2 model: one of these that scaleout lacks is refused by name. */
const modelTransformations = [
  "NONE",
  "COMPRESS_WHITE_SPACE",
  "HTML_ENTITY_DECODE",
  "LOWERCASE",
  "CMD_LINE",
  "URL_DECODE",
  "BASE64_DECODE",
  "HEX_DECODE",
  "MD5",
  "REPLACE_COMMENTS",
  "ESCAPE_SEQ_DECODE",
  "SQL_HEX_DECODE",
  "CSS_DECODE",
  "JS_DECODE",
  "NORMALIZE_PATH",
  "NORMALIZE_PATH_WIN",
  "REMOVE_NULLS",
  "REPLACE_NULLS",
  "BASE64_DECODE_EXT",
  "URL_DECODE_UNI",
  "UTF8_TO_UNICODE",
  "REMOVE_WHITESPACE",
  "TRIM",
  "TRIM_LEFT",
  "TRIM_RIGHT",
  "REMOVE_COMMENTS_CHAR",
  "UPPERCASE",
  "CMD_LINE_WIN",
  "CMD_LINE_UNIX",
  "JS_DECODE_EXT",
  "SHA256",
];

const unevaluatedFields = [
  "JsonBody",
  "Headers",
  "Cookies",
  "HeaderOrder",
  "JA3Fingerprint",
  "JA4Fingerprint",
  "UriFragment",
];

/** The members of the model's unions (wafv2 2019-07-29): FieldToMatch, RateBasedStatementCustomKey. */
const fieldToMatchMembers = [
  "SingleHeader",
  "SingleQueryArgument",
  "AllQueryArguments",
  "UriPath",
  "QueryString",
  "Body",
  "Method",
  ...unevaluatedFields,
];
const customKeyMembers = [
  "Header",
  "Cookie",
  "QueryArgument",
  "QueryString",
  "HTTPMethod",
  "ForwardedIP",
  "IP",
  "LabelNamespace",
  "UriPath",
  "JA3Fingerprint",
  "JA4Fingerprint",
  "ASN",
];

export const exactlyOne =
  "You have used none or multiple values for a field that requires exactly one value.";

/** WAF's reason for something scaleout leaves out, naming it. */
export const notEvaluated = (what: string) => `scaleout does not evaluate ${what} (docs/aws-differences.md)`;

/** The one member of a union that is set, or WAF's refusal. */
export function oneMemberOf(value: Obj, field: string, name: string, known: readonly string[]): string {
  // Members the model does not have are ignored, as AWS's JSON protocol ignores them.
  const set = setMembers(value).filter((key) => known.includes(key));
  const only = set[0];
  if (set.length !== 1 || only === undefined) throw invalidParameter(field, name, exactlyOne);
  return only;
}

// ---- Parts ----------------------------------------------------------------------------------------------

export function readTextTransformations(value: unknown, path: string): TextTransformation[] {
  const list = arr(value, path, { min: 1 }).map((item, i): TextTransformation => {
    const at = `${path}.${i + 1}.member`;
    const t = obj(item, at);
    const type = str(t.Type, `${at}.type`, { enum: modelTransformations });
    // The data plane's own list (transform.ts): a type it lacks would silently not transform.
    wafCheck(
      supportedTransformations.has(type as TextTransformationType),
      "TEXT_TRANSFORMATION",
      type,
      notEvaluated(`the text transformation ${type}`),
    );
    return { Priority: num(t.Priority, `${at}.priority`, { min: 0 }), Type: type as TextTransformationType };
  });
  const priorities = list.map((t) => t.Priority);
  const duplicate = priorities.find((p, i) => priorities.indexOf(p) !== i);
  if (duplicate !== undefined)
    throw invalidParameter(
      "TEXT_TRANSFORMATION",
      String(duplicate),
      "Duplicate priority in text transformations.",
    );
  // WAF allows at most 10 transformations a statement (quota "text transformations per rule statement").
  wafCheck(
    list.length <= 10,
    "TEXT_TRANSFORMATION",
    String(list.length),
    "Exceeded maximum of 10 text transformations.",
  );
  return list;
}

const headerNamePattern = /.*\S.*/s;

export function readFieldToMatch(value: unknown, path: string): FieldToMatch {
  const field = obj(value, path);
  const member = oneMemberOf(field, "FIELD_TO_MATCH", "FieldToMatch", fieldToMatchMembers);
  const at = `${path}.${member}`;
  if (unevaluatedFields.includes(member))
    throw invalidParameter("FIELD_TO_MATCH", member, notEvaluated(`the request component ${member}`));
  switch (member) {
    case "SingleHeader":
      return {
        SingleHeader: {
          Name: str(obj(field[member], at).Name, `${at}.name`, {
            min: 1,
            max: 64,
            pattern: headerNamePattern,
            patternText: ".*\\S.*",
          }),
        },
      };
    case "SingleQueryArgument":
      return {
        SingleQueryArgument: {
          Name: str(obj(field[member], at).Name, `${at}.name`, {
            min: 1,
            max: 64,
            pattern: headerNamePattern,
            patternText: ".*\\S.*",
          }),
        },
      };
    case "AllQueryArguments":
      return { AllQueryArguments: empty(field[member], at) };
    case "UriPath":
      return { UriPath: empty(field[member], at) };
    case "QueryString":
      return { QueryString: empty(field[member], at) };
    case "Method":
      return { Method: empty(field[member], at) };
    case "Body": {
      const body = obj(field[member], at);
      const handling = optStr<"CONTINUE" | "MATCH" | "NO_MATCH">(
        body.OversizeHandling,
        `${at}.oversizeHandling`,
        {
          enum: ["CONTINUE", "MATCH", "NO_MATCH"],
        },
      );
      return { Body: handling === undefined ? {} : { OversizeHandling: handling } };
    }
    default:
      throw invalidParameter("FIELD_TO_MATCH", member, exactlyOne);
  }
}

export function refusePreParse(statement: Obj, path: string): void {
  if (statement.PreParseTextTransformations !== undefined && statement.PreParseTextTransformations !== null)
    throw invalidParameter(
      "PRE_PARSE_TEXT_TRANSFORMATION",
      `${path}.preParseTextTransformations`,
      notEvaluated("PreParseTextTransformations"),
    );
}

export function readForwardedIPConfig(value: unknown, path: string): ForwardedIPConfig {
  const config = obj(value, path);
  return {
    HeaderName: str(config.HeaderName, `${path}.headerName`, {
      min: 1,
      max: 255,
      pattern: /^[a-zA-Z0-9-]+$/,
      patternText: "^[a-zA-Z0-9-]+$",
    }),
    FallbackBehavior: str<"MATCH" | "NO_MATCH">(config.FallbackBehavior, `${path}.fallbackBehavior`, {
      enum: ["MATCH", "NO_MATCH"],
    }),
  };
}

/** SearchString is a blob: base64 on the wire, 1 to 200 bytes once decoded (WAF's quota), kept as base64. */
export function readSearchString(value: unknown, path: string): string {
  const text = str(value, path);
  const compact = text.replace(/[\r\n\t ]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw violated(path, text, "Member must be base64-encoded bytes");
  const bytes = Buffer.from(compact, "base64");
  wafCheck(bytes.length >= 1, "BYTE_MATCH_STATEMENT", "SearchString", "The search string must not be empty.");
  wafCheck(
    bytes.length <= 200,
    "BYTE_MATCH_STATEMENT",
    "SearchString",
    "The search string is longer than 200 bytes.",
  );
  return bytes.toString("base64");
}

export function readCustomKeys(value: unknown, path: string): RateBasedStatementCustomKey[] {
  return arr(value, path, { min: 1, max: 5 }).map((item, i): RateBasedStatementCustomKey => {
    const at = `${path}.${i + 1}.member`;
    const key = obj(item, at);
    const member = oneMemberOf(key, "CUSTOM_KEYS", "CustomKey", customKeyMembers);
    const inner = `${at}.${member}`;
    const named = () => {
      const part = obj(key[member], inner);
      return {
        Name: str(part.Name, `${inner}.name`, {
          min: 1,
          max: 64,
          pattern: headerNamePattern,
          patternText: ".*\\S.*",
        }),
        TextTransformations: readTextTransformations(
          part.TextTransformations,
          `${inner}.textTransformations`,
        ),
      };
    };
    const transformed = () => ({
      TextTransformations: readTextTransformations(
        obj(key[member], inner).TextTransformations,
        `${inner}.textTransformations`,
      ),
    });
    switch (member) {
      case "Header":
        return { Header: named() };
      case "QueryArgument":
        return { QueryArgument: named() };
      case "QueryString":
        return { QueryString: transformed() };
      case "UriPath":
        return { UriPath: transformed() };
      case "HTTPMethod":
        return { HTTPMethod: empty(key[member], inner) };
      case "ForwardedIP":
        return { ForwardedIP: empty(key[member], inner) };
      case "IP":
        return { IP: empty(key[member], inner) };
      case "LabelNamespace":
        return {
          LabelNamespace: {
            Namespace: str(obj(key[member], inner).Namespace, `${inner}.namespace`, {
              min: 1,
              max: 1024,
              pattern: /^[0-9A-Za-z_\-:]+:$/,
              patternText: "^[0-9A-Za-z_\\-:]+:$",
            }),
          },
        };
      default:
        throw invalidParameter("CUSTOM_KEYS", member, notEvaluated(`the custom aggregation key ${member}`));
    }
  });
}
