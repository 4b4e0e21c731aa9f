import type { FieldToMatch, Statement, TextTransformation, WafRule } from "./types.ts";

/*
 * Web ACL capacity units (WCUs), as the AWS WAF developer guide prices each statement type
 * ("Rule statements" pages, the "WCUs" line of each):
 * - string match (ByteMatch): 2 for EXACTLY, STARTS_WITH, ENDS_WITH; 10 for CONTAINS, CONTAINS_WORD;
 * - size constraint 1, regex match 3;
 * - each of those: +10 for the All query parameters component, +10 per text transformation (NONE is no
 *   transformation and costs nothing);
 * - IP set reference 1, +4 when it reads a forwarded IP header at position ANY;
 * - label match 1;
 * - rate-based 2, +30 per custom aggregation key, plus its scope-down statement;
 * - And, Or, Not: the sum of what they contain.
 */

const transformationCost = (transformations: readonly TextTransformation[]): number =>
  transformations.filter((t) => t.Type !== "NONE").length * 10;

const componentCost = (field: FieldToMatch): number => (field.AllQueryArguments !== undefined ? 10 : 0);

export function statementCapacity(statement: Statement): number {
  if (statement.ByteMatchStatement) {
    const s = statement.ByteMatchStatement;
    const base = s.PositionalConstraint === "CONTAINS" || s.PositionalConstraint === "CONTAINS_WORD" ? 10 : 2;
    return base + componentCost(s.FieldToMatch) + transformationCost(s.TextTransformations);
  }
  if (statement.SizeConstraintStatement) {
    const s = statement.SizeConstraintStatement;
    return 1 + componentCost(s.FieldToMatch) + transformationCost(s.TextTransformations);
  }
  if (statement.RegexMatchStatement) {
    const s = statement.RegexMatchStatement;
    return 3 + componentCost(s.FieldToMatch) + transformationCost(s.TextTransformations);
  }
  if (statement.IPSetReferenceStatement)
    return statement.IPSetReferenceStatement.IPSetForwardedIPConfig?.Position === "ANY" ? 5 : 1;
  if (statement.LabelMatchStatement) return 1;
  if (statement.RateBasedStatement) {
    const s = statement.RateBasedStatement;
    return (
      2 +
      30 * (s.CustomKeys?.length ?? 0) +
      (s.ScopeDownStatement === undefined ? 0 : statementCapacity(s.ScopeDownStatement))
    );
  }
  if (statement.AndStatement) return sum(statement.AndStatement.Statements.map(statementCapacity));
  if (statement.OrStatement) return sum(statement.OrStatement.Statements.map(statementCapacity));
  if (statement.NotStatement) return statementCapacity(statement.NotStatement.Statement);
  return 0;
}

/** What CheckCapacity answers for a set of rules, and what a web ACL's Capacity reads. */
export function rulesCapacity(rules: readonly Pick<WafRule, "Statement">[]): number {
  return sum(rules.map((rule) => statementCapacity(rule.Statement)));
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
