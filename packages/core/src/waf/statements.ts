import type { CidrMatcher } from "./cidr-matcher.ts";
import { compileField, type FieldValue } from "./fields.ts";
import { parseIp } from "./ip-numbers.ts";
import { compileRateBased } from "./rate-based.ts";
import type { RateLimiter, RateLimiterStore } from "./rate-limiter.ts";
import { compileRegex, regexInputLimit } from "./regex-guard.ts";
import { type EvaluationContext, forwardedAddresses } from "./request-view.ts";
import { compileTransformations } from "./transform.ts";
import type { PositionalConstraint, SizeComparisonOperator, Statement } from "./types.ts";

/** A compiled statement: does this request match? Total: never throws on any request. */
export type Matcher = (ctx: EvaluationContext) => boolean;

export interface CompileEnv {
  /** IP sets by ARN, compiled once per snapshot. */
  ipSets: ReadonlyMap<string, CidrMatcher>;
  limiters: RateLimiterStore;
  /** `<web ACL ARN>|<rule name>`: a rate-based rule's limiter identity across snapshots. */
  ruleKey: string;
  /** The web ACL's label namespace, `awswaf:<account>:webacl:<name>:`. */
  labelNamespace: string;
  /** Rate-based statements compiled so far (GetRateBasedStatementManagedKeys reads their limiters). */
  rateLimiters: RateLimiter[];
}

const never: Matcher = () => false;

export function compileStatement(statement: Statement, env: CompileEnv): Matcher {
  if (statement.ByteMatchStatement) {
    const s = statement.ByteMatchStatement;
    const search = Buffer.from(s.SearchString, "base64").toString("latin1");
    return fieldMatcher(s.FieldToMatch, s.TextTransformations, positional(s.PositionalConstraint, search));
  }
  if (statement.SizeConstraintStatement) {
    const s = statement.SizeConstraintStatement;
    const compare = comparison(s.ComparisonOperator, s.Size);
    // A body's size is the whole body's, not the inspected bytes' (when the data plane knows it).
    const body = s.FieldToMatch.Body !== undefined && s.TextTransformations.every((t) => t.Type === "NONE");
    if (body) return (ctx) => compare(ctx.request.bodySize ?? ctx.request.body?.length ?? 0);
    return fieldMatcher(s.FieldToMatch, s.TextTransformations, (value) =>
      compare(Buffer.byteLength(value, "latin1")),
    );
  }
  if (statement.RegexMatchStatement) {
    const s = statement.RegexMatchStatement;
    const regex = compileRegex(s.RegexString);
    if (!regex) return never;
    return fieldMatcher(s.FieldToMatch, s.TextTransformations, (value) =>
      regex.test(value.length > regexInputLimit ? value.slice(0, regexInputLimit) : value),
    );
  }
  if (statement.IPSetReferenceStatement) {
    const s = statement.IPSetReferenceStatement;
    const set = env.ipSets.get(s.ARN);
    if (!set) return never;
    const forwarded = s.IPSetForwardedIPConfig;
    if (!forwarded)
      return (ctx) => {
        const address = sourceAddressOf(ctx);
        return address !== null && set.has(address);
      };
    const header = forwarded.HeaderName.toLowerCase();
    const fallback = forwarded.FallbackBehavior === "MATCH";
    return (ctx) => {
      const list = forwardedAddresses(ctx, header, forwarded.Position);
      if (list === undefined) return fallback;
      for (const text of list) {
        const address = parseIp(text);
        // An invalid address in the header: WAF applies the fallback behaviour.
        if (!address) return fallback;
        if (set.has(address)) return true;
      }
      return false;
    };
  }
  if (statement.LabelMatchStatement) {
    const s = statement.LabelMatchStatement;
    const key = s.Key.startsWith("awswaf:") ? s.Key : env.labelNamespace + s.Key;
    if (s.Scope === "NAMESPACE") {
      const prefix = key.endsWith(":") ? key : `${key}:`;
      return (ctx) => ctx.labels.some((label) => label.startsWith(prefix));
    }
    return (ctx) => ctx.labels.includes(key);
  }
  if (statement.RateBasedStatement)
    return compileRateBased(statement.RateBasedStatement, env, compileStatement);
  if (statement.AndStatement) {
    const parts = statement.AndStatement.Statements.map((s) => compileStatement(s, env));
    return (ctx) => parts.every((part) => part(ctx));
  }
  if (statement.OrStatement) {
    const parts = statement.OrStatement.Statements.map((s) => compileStatement(s, env));
    return (ctx) => parts.some((part) => part(ctx));
  }
  if (statement.NotStatement) {
    const inner = compileStatement(statement.NotStatement.Statement, env);
    return (ctx) => !inner(ctx);
  }
  // A statement the engine does not evaluate (validation refuses it): it never matches.
  return never;
}

/** The field, transformed, tested; several values (every query argument) match when any does. */
function fieldMatcher(
  field: Parameters<typeof compileField>[0],
  transformations: Parameters<typeof compileTransformations>[0],
  test: (value: string) => boolean,
): Matcher {
  const compiled = compileField(field);
  const transform = compileTransformations(transformations);
  const one = (value: string) => test(transform ? transform(value) : value);
  return (ctx) => {
    const decided = compiled.oversize?.(ctx);
    if (decided !== undefined) return decided;
    const value: FieldValue = compiled.read(ctx);
    if (value === undefined) return false;
    if (typeof value === "string") return one(value);
    return value.some(one);
  };
}

function positional(constraint: PositionalConstraint, search: string): (value: string) => boolean {
  switch (constraint) {
    case "EXACTLY":
      return (value) => value === search;
    case "STARTS_WITH":
      return (value) => value.startsWith(search);
    case "ENDS_WITH":
      return (value) => value.endsWith(search);
    case "CONTAINS":
      return (value) => value.includes(search);
    case "CONTAINS_WORD":
      return (value) => containsWord(value, search);
    default:
      return () => false;
  }
}

const isWordByte = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

/** The search string with a non-word byte (or the value's edge) on both sides (WAF's CONTAINS_WORD). */
function containsWord(value: string, search: string): boolean {
  if (search === "") return false;
  for (let at = value.indexOf(search); at !== -1; at = value.indexOf(search, at + 1)) {
    const before = at === 0 || !isWordByte(value.charCodeAt(at - 1));
    const end = at + search.length;
    const after = end === value.length || !isWordByte(value.charCodeAt(end));
    if (before && after) return true;
  }
  return false;
}

function comparison(operator: SizeComparisonOperator, size: number): (value: number) => boolean {
  switch (operator) {
    case "EQ":
      return (v) => v === size;
    case "NE":
      return (v) => v !== size;
    case "LE":
      return (v) => v <= size;
    case "LT":
      return (v) => v < size;
    case "GE":
      return (v) => v >= size;
    case "GT":
      return (v) => v > size;
    default:
      return () => false;
  }
}

export function sourceAddressOf(ctx: EvaluationContext) {
  if (ctx.sourceAddress === undefined) ctx.sourceAddress = parseIp(ctx.request.sourceIp) ?? null;
  return ctx.sourceAddress;
}
