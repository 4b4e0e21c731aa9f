import { invalidParameter, wafCheck } from "./errors.ts";
import { arr, num, type Obj, obj, optObj, shown, str } from "./read.ts";
import { regexRefusal } from "./regex-guard.ts";
import type { PositionalConstraint, SizeComparisonOperator, Statement } from "./types.ts";
import {
  exactlyOne,
  notEvaluated,
  oneMemberOf,
  readFieldToMatch,
  readForwardedIPConfig,
  readSearchString,
  readTextTransformations,
  refusePreParse,
  type StatementOptions,
} from "./validation-parts.ts";
import { readRateBased } from "./validation-rate-based.ts";

/*
 * A rule's statement tree, read from hostile JSON into the contract's shape (types.ts) with WAF's checks:
 * exactly one member a union, a rate-based statement only at the top of a rule (not in And, Or, Not nor a
 * scope-down statement), And and Or of two or more, and the statement types scaleout does not evaluate
 * refused by name (WAFInvalidParameterException).
 */

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

const statementMembers = [...Object.keys(statementFields), ...Object.keys(unevaluatedStatements)];

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
  const member = oneMemberOf(statement, "STATEMENT", "Statement", statementMembers);
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
      // What the data plane's backtracking engine cannot run safely (regex-guard.ts) is refused here.
      const refusal = regexRefusal(RegexString);
      if (refusal !== undefined) throw invalidParameter("STATEMENT", RegexString, `${refusal}.`);
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
      return {
        RateBasedStatement: readRateBased(inner, at, options, (scopeDown, scopePath) =>
          readNested(scopeDown, scopePath, options, "SCOPE_DOWN"),
        ),
      };
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
