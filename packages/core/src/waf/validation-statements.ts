import { invalidParameter, wafCheck } from "./errors.ts";
import {
  arr,
  empty,
  isObj,
  num,
  type Obj,
  obj,
  optNum,
  optObj,
  optStr,
  setMembers,
  shown,
  str,
  violated,
} from "./read.ts";
import type {
  FieldToMatch,
  ForwardedIPConfig,
  PositionalConstraint,
  RateBasedStatement,
  RateBasedStatementCustomKey,
  SizeComparisonOperator,
  Statement,
  TextTransformation,
  TextTransformationType,
} from "./types.ts";

/*
 * A rule's statement tree, read from hostile JSON into the contract's shape (types.ts) with WAF's checks:
 * exactly one member a union, a rate-based statement only at the top of a rule, the transformations'
 * priorities unique, and the statement types and request components scaleout does not evaluate refused by
 * name (WAFInvalidParameterException) rather than stored and silently never matched.
 */

export interface StatementOptions {
  /** Fast mode: rate-based evaluation windows shorter than WAF's 60 s are allowed. */
  fast: boolean;
}

/**
 * The transformations the data plane applies (wafplane's core/src/waf/transform.ts,
 * `supportedTransformations`); the rest of types.ts's list and of the wafv2 model is refused by name.
 */
export const evaluatedTransformations: readonly TextTransformationType[] = [
  "NONE",
  "COMPRESS_WHITE_SPACE",
  "HTML_ENTITY_DECODE",
  "LOWERCASE",
  "CMD_LINE",
  "URL_DECODE",
  "BASE64_DECODE",
  "HEX_DECODE",
  "NORMALIZE_PATH",
  "NORMALIZE_PATH_WIN",
  "REMOVE_NULLS",
  "REPLACE_NULLS",
  "BASE64_DECODE_EXT",
  "URL_DECODE_UNI",
];

/** Every transformation of the wafv2 model: one of these that scaleout lacks is refused by name. */
const modelTransformations = [
  ...evaluatedTransformations,
  "MD5",
  "REPLACE_COMMENTS",
  "ESCAPE_SEQ_DECODE",
  "SQL_HEX_DECODE",
  "CSS_DECODE",
  "JS_DECODE",
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

/** Statement members scaleout does not evaluate, with WAF's name of the field. */
const unevaluatedStatements: Readonly<Record<string, string>> = {
  SqliMatchStatement: "SQLI_MATCH_STATEMENT",
  XssMatchStatement: "XSS_MATCH_STATEMENT",
  GeoMatchStatement: "GEO_MATCH_STATEMENT",
  RuleGroupReferenceStatement: "RULE_GROUP_REFERENCE_STATEMENT",
  RegexPatternSetReferenceStatement: "REGEX_PATTERN_REFERENCE_STATEMENT",
  ManagedRuleGroupStatement: "MANAGED_RULE_SET_STATEMENT",
  AsnMatchStatement: "STATEMENT",
};

const statementFields: Readonly<Record<string, string>> = {
  ByteMatchStatement: "BYTE_MATCH_STATEMENT",
  SizeConstraintStatement: "SIZE_CONSTRAINT_STATEMENT",
  RegexMatchStatement: "STATEMENT",
  IPSetReferenceStatement: "IP_SET_REFERENCE_STATEMENT",
  LabelMatchStatement: "LABEL_MATCH_STATEMENT",
  RateBasedStatement: "RATE_BASED_STATEMENT",
  AndStatement: "AND_STATEMENT",
  OrStatement: "OR_STATEMENT",
  NotStatement: "NOT_STATEMENT",
};

const unevaluatedFields = [
  "JsonBody",
  "Headers",
  "Cookies",
  "HeaderOrder",
  "JA3Fingerprint",
  "JA4Fingerprint",
  "UriFragment",
];

/** The members of the model's unions (wafv2 2019-07-29): FieldToMatch, RateBasedStatementCustomKey, Statement. */
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
const statementMembers = [...Object.keys(statementFields), ...Object.keys(unevaluatedStatements)];

const exactlyOne = "You have used none or multiple values for a field that requires exactly one value.";

/** WAF's reason for something scaleout leaves out, naming it. */
const notEvaluated = (what: string) => `scaleout does not evaluate ${what} (docs/aws-differences.md)`;

/** The one member of a union that is set, or WAF's refusal. */
function oneOf(value: Obj, field: string, name: string, known: readonly string[]): string {
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
    wafCheck(
      (evaluatedTransformations as readonly string[]).includes(type),
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
  const member = oneOf(field, "FIELD_TO_MATCH", "FieldToMatch", fieldToMatchMembers);
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

function refusePreParse(statement: Obj, path: string): void {
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
function readSearchString(value: unknown, path: string): string {
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

function readCustomKeys(value: unknown, path: string): RateBasedStatementCustomKey[] {
  return arr(value, path, { min: 1, max: 5 }).map((item, i): RateBasedStatementCustomKey => {
    const at = `${path}.${i + 1}.member`;
    const key = obj(item, at);
    const member = oneOf(key, "CUSTOM_KEYS", "CustomKey", customKeyMembers);
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

/** WAF's evaluation windows; fast mode allows any whole number of seconds from 1 to 600. */
export const evaluationWindows = [60, 120, 300, 600] as const;

function readRateBased(value: unknown, path: string, options: StatementOptions): RateBasedStatement {
  const rate = obj(value, path);
  const Limit = num(rate.Limit, `${path}.limit`, { min: 10, max: 2_000_000_000 });
  const window = optNum(rate.EvaluationWindowSec, `${path}.evaluationWindowSec`);
  if (window !== undefined) {
    const allowed = options.fast
      ? window >= 1 && window <= 600
      : (evaluationWindows as readonly number[]).includes(window);
    wafCheck(
      allowed,
      "RATE_BASED_STATEMENT",
      String(window),
      options.fast
        ? "EvaluationWindowSec must be between 1 and 600 seconds in fast mode."
        : "EvaluationWindowSec must be one of 60, 120, 300, 600.",
    );
  }
  const AggregateKeyType = str<RateBasedStatement["AggregateKeyType"]>(
    rate.AggregateKeyType,
    `${path}.aggregateKeyType`,
    {
      enum: ["IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"],
    },
  );
  const forwarded = optObj(rate.ForwardedIPConfig, `${path}.forwardedIPConfig`);
  const hasKeys = rate.CustomKeys !== undefined && rate.CustomKeys !== null;
  // ForwardedIPConfig belongs to FORWARDED_IP (and to CUSTOM_KEYS with a ForwardedIP key), CustomKeys to
  // CUSTOM_KEYS; CONSTANT counts every request together and so needs a scope-down statement.
  const usesForwardedKey =
    AggregateKeyType === "CUSTOM_KEYS" &&
    Array.isArray(rate.CustomKeys) &&
    rate.CustomKeys.some((k) => isObj(k) && k.ForwardedIP !== undefined && k.ForwardedIP !== null);
  if (AggregateKeyType === "FORWARDED_IP" || usesForwardedKey)
    wafCheck(
      forwarded !== undefined,
      "FORWARDED_IP_CONFIG",
      "ForwardedIPConfig",
      `ForwardedIPConfig is required when ${AggregateKeyType === "FORWARDED_IP" ? "AggregateKeyType is FORWARDED_IP" : "a custom key is ForwardedIP"}.`,
    );
  else
    wafCheck(
      forwarded === undefined,
      "FORWARDED_IP_CONFIG",
      "ForwardedIPConfig",
      `ForwardedIPConfig is not allowed when AggregateKeyType is ${AggregateKeyType}.`,
    );
  if (AggregateKeyType === "CUSTOM_KEYS")
    wafCheck(
      hasKeys,
      "CUSTOM_KEYS",
      "CustomKeys",
      "CustomKeys are required when AggregateKeyType is CUSTOM_KEYS.",
    );
  else
    wafCheck(
      !hasKeys,
      "CUSTOM_KEYS",
      "CustomKeys",
      `CustomKeys are not allowed when AggregateKeyType is ${AggregateKeyType}.`,
    );
  const scopeDown = rate.ScopeDownStatement;
  const hasScopeDown = scopeDown !== undefined && scopeDown !== null;
  if (AggregateKeyType === "CONSTANT")
    wafCheck(
      hasScopeDown,
      "SCOPE_DOWN",
      "ScopeDownStatement",
      "A ScopeDownStatement is required when AggregateKeyType is CONSTANT.",
    );
  const statement: RateBasedStatement = { Limit, AggregateKeyType };
  if (window !== undefined) statement.EvaluationWindowSec = window;
  if (hasScopeDown)
    statement.ScopeDownStatement = readNested(scopeDown, `${path}.scopeDownStatement`, options, "SCOPE_DOWN");
  if (forwarded !== undefined)
    statement.ForwardedIPConfig = readForwardedIPConfig(forwarded, `${path}.forwardedIPConfig`);
  if (hasKeys) {
    const keys = readCustomKeys(rate.CustomKeys, `${path}.customKeys`);
    const kinds = keys.map((k) => JSON.stringify(k));
    wafCheck(
      new Set(kinds).size === kinds.length,
      "CUSTOM_KEYS",
      "CustomKeys",
      "Duplicate custom aggregation keys.",
    );
    statement.CustomKeys = keys;
  }
  return statement;
}

// ---- Statements -----------------------------------------------------------------------------------------

/** A statement inside another (And, Or, Not, a scope-down): no rate-based statement there. */
function readNested(value: unknown, path: string, options: StatementOptions, field: string): Statement {
  const statement = obj(value, path);
  if (statement.RateBasedStatement !== undefined && statement.RateBasedStatement !== null)
    throw invalidParameter(
      field,
      "RateBasedStatement",
      "A rate-based statement can't be nested inside another statement.",
    );
  return readAny(statement, path, options);
}

function readAny(statement: Obj, path: string, options: StatementOptions): Statement {
  const member = oneOf(statement, "STATEMENT", "Statement", statementMembers);
  const at = `${path}.${member.charAt(0).toLowerCase()}${member.slice(1)}`;
  const unevaluated = unevaluatedStatements[member];
  if (unevaluated !== undefined) throw invalidParameter(unevaluated, member, notEvaluated(member));
  if (statementFields[member] === undefined) throw invalidParameter("STATEMENT", shown(member), exactlyOne);
  const inner = obj(statement[member], at);
  switch (member) {
    case "ByteMatchStatement":
      refusePreParse(inner, at);
      return {
        ByteMatchStatement: {
          SearchString: readSearchString(inner.SearchString, `${at}.searchString`),
          FieldToMatch: readFieldToMatch(inner.FieldToMatch, `${at}.fieldToMatch`),
          TextTransformations: readTextTransformations(
            inner.TextTransformations,
            `${at}.textTransformations`,
          ),
          PositionalConstraint: str<PositionalConstraint>(
            inner.PositionalConstraint,
            `${at}.positionalConstraint`,
            {
              enum: ["EXACTLY", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CONTAINS_WORD"],
            },
          ),
        },
      };
    case "SizeConstraintStatement":
      refusePreParse(inner, at);
      return {
        SizeConstraintStatement: {
          FieldToMatch: readFieldToMatch(inner.FieldToMatch, `${at}.fieldToMatch`),
          ComparisonOperator: str<SizeComparisonOperator>(
            inner.ComparisonOperator,
            `${at}.comparisonOperator`,
            {
              enum: ["EQ", "NE", "LE", "LT", "GE", "GT"],
            },
          ),
          Size: num(inner.Size, `${at}.size`, { min: 0, max: 21_474_836_480 }),
          TextTransformations: readTextTransformations(
            inner.TextTransformations,
            `${at}.textTransformations`,
          ),
        },
      };
    case "RegexMatchStatement": {
      refusePreParse(inner, at);
      const RegexString = str(inner.RegexString, `${at}.regexString`, { min: 1, max: 512 });
      try {
        new RegExp(RegexString);
      } catch {
        throw invalidParameter("STATEMENT", RegexString, "The regular expression is not valid.");
      }
      return {
        RegexMatchStatement: {
          RegexString,
          FieldToMatch: readFieldToMatch(inner.FieldToMatch, `${at}.fieldToMatch`),
          TextTransformations: readTextTransformations(
            inner.TextTransformations,
            `${at}.textTransformations`,
          ),
        },
      };
    }
    case "IPSetReferenceStatement": {
      const ARN = str(inner.ARN, `${at}.ARN`, { min: 20, max: 2048 });
      const config = optObj(inner.IPSetForwardedIPConfig, `${at}.IPSetForwardedIPConfig`);
      if (config === undefined) return { IPSetReferenceStatement: { ARN } };
      const cfgPath = `${at}.IPSetForwardedIPConfig`;
      return {
        IPSetReferenceStatement: {
          ARN,
          IPSetForwardedIPConfig: {
            ...readForwardedIPConfig(config, cfgPath),
            Position: str<"FIRST" | "LAST" | "ANY">(config.Position, `${cfgPath}.position`, {
              enum: ["FIRST", "LAST", "ANY"],
            }),
          },
        },
      };
    }
    case "LabelMatchStatement":
      return {
        LabelMatchStatement: {
          Scope: str<"LABEL" | "NAMESPACE">(inner.Scope, `${at}.scope`, { enum: ["LABEL", "NAMESPACE"] }),
          Key: str(inner.Key, `${at}.key`, {
            min: 1,
            max: 1024,
            pattern: /^[0-9A-Za-z_\-:]+$/,
            patternText: "^[0-9A-Za-z_\\-:]+$",
          }),
        },
      };
    case "RateBasedStatement":
      return { RateBasedStatement: readRateBased(inner, at, options) };
    case "AndStatement":
    case "OrStatement": {
      const field = member === "AndStatement" ? "AND_STATEMENT" : "OR_STATEMENT";
      const list = arr(inner.Statements, `${at}.statements`);
      // WAF's logical statements combine two or more statements (a Not takes exactly one).
      wafCheck(list.length >= 2, field, member, `${member} requires at least two nested statements.`);
      const Statements = list.map((s, i) =>
        readNested(s, `${at}.statements.${i + 1}.member`, options, field),
      );
      return member === "AndStatement" ? { AndStatement: { Statements } } : { OrStatement: { Statements } };
    }
    default:
      return {
        NotStatement: { Statement: readNested(inner.Statement, `${at}.statement`, options, "NOT_STATEMENT") },
      };
  }
}

/** A rule's top-level statement: the one place a rate-based statement may stand. */
export function readStatement(value: unknown, path: string, options: StatementOptions): Statement {
  return readAny(obj(value, path), path, options);
}

/** The IP set ARNs a statement tree references (they must exist; the services check). */
export function ipSetArnsOf(statement: Statement, into: Set<string> = new Set()): Set<string> {
  if (statement.IPSetReferenceStatement) into.add(statement.IPSetReferenceStatement.ARN);
  for (const child of childStatements(statement)) ipSetArnsOf(child, into);
  return into;
}

export function childStatements(statement: Statement): Statement[] {
  if (statement.AndStatement) return statement.AndStatement.Statements;
  if (statement.OrStatement) return statement.OrStatement.Statements;
  if (statement.NotStatement) return [statement.NotStatement.Statement];
  if (statement.RateBasedStatement?.ScopeDownStatement)
    return [statement.RateBasedStatement.ScopeDownStatement];
  return [];
}
