import { formatIp, parseIp } from "./ip-numbers.ts";
import { type EvaluationContext, forwardedAddresses, headerOf, queryArgumentsOf } from "./request-view.ts";
import type { CompileEnv, Matcher } from "./statements.ts";
import { compileTransformations } from "./transform.ts";
import type { RateBasedStatement, RateBasedStatementCustomKey, Statement } from "./types.ts";

/** WAF's default evaluation window. */
const defaultWindowSec = 300;

/** A request's aggregation key; undefined: the request is not counted (a custom key's part is absent). */
type KeyOf = (ctx: EvaluationContext) => string | undefined;

/** The fallback verdict for FORWARDED_IP when the header is absent or not an address. */
const noAddress = Symbol("noAddress");

/**
 * A rate-based statement: a request that matches the scope-down statement (all, without one) is counted
 * under its aggregation key, and the statement matches while that key's count over the window exceeds
 * the limit. Counting and deciding happen on the same request (AWS decides on counts up to tens of
 * seconds old: docs/aws-differences.md).
 */
export function compileRateBased(
  statement: RateBasedStatement,
  env: CompileEnv,
  compileStatement: (statement: Statement, env: CompileEnv) => Matcher,
): Matcher {
  const windowMs = (statement.EvaluationWindowSec ?? defaultWindowSec) * 1000;
  const limiter = env.limiters.get(env.ruleKey, statement.Limit, windowMs);
  env.rateLimiters.push(limiter);
  const scopeDown = statement.ScopeDownStatement
    ? compileStatement(statement.ScopeDownStatement, env)
    : undefined;
  const key = keyOf(statement);
  const fallback = statement.ForwardedIPConfig?.FallbackBehavior === "MATCH";
  return (ctx) => {
    if (scopeDown && !scopeDown(ctx)) return false;
    const k = key(ctx);
    if (k === undefined) return false;
    if (k === noAddress) return fallback;
    return limiter.over(k, limiter.hit(k, ctx.now));
  };
}

function keyOf(
  statement: RateBasedStatement,
): (ctx: EvaluationContext) => string | undefined | typeof noAddress {
  const forwardedHeader = (statement.ForwardedIPConfig?.HeaderName ?? "X-Forwarded-For").toLowerCase();
  const forwardedIp = (ctx: EvaluationContext): string | typeof noAddress => {
    // Rate-based rules take the header's first address.
    const first = forwardedAddresses(ctx, forwardedHeader, "FIRST")?.[0];
    const address = first === undefined ? undefined : parseIp(first);
    // One spelling an address (`0::1` is `::1`, `010.0.0.1` is `10.0.0.1`): a client cannot dodge its
    // count by writing its address differently. The key is the CIDR form WAF's managed keys answer.
    return address ? formatIp(address) : noAddress;
  };
  switch (statement.AggregateKeyType) {
    case "IP":
      return (ctx) => ctx.request.sourceIp;
    case "FORWARDED_IP":
      return forwardedIp;
    case "CONSTANT":
      return () => "";
    case "CUSTOM_KEYS": {
      const parts = (statement.CustomKeys ?? []).map((k) => customKeyPart(k, forwardedIp));
      return (ctx) => {
        let key = "";
        for (const part of parts) {
          const value = part(ctx);
          if (value === undefined) return undefined;
          if (value === noAddress) return noAddress;
          // A separator no header value or path contains: distinct tuples give distinct keys.
          key += `${value}\u0000`;
        }
        return key;
      };
    }
    default:
      return () => undefined;
  }
}

function customKeyPart(
  key: RateBasedStatementCustomKey,
  forwardedIp: (ctx: EvaluationContext) => string | typeof noAddress,
): (ctx: EvaluationContext) => string | undefined | typeof noAddress {
  const transformed = (read: KeyOf, transformations: Parameters<typeof compileTransformations>[0]): KeyOf => {
    const transform = compileTransformations(transformations);
    return (ctx) => {
      const value = read(ctx);
      return value === undefined || !transform ? value : transform(value);
    };
  };
  if (key.Header) {
    const name = key.Header.Name.toLowerCase();
    return transformed((ctx) => headerOf(ctx.request, name), key.Header.TextTransformations);
  }
  if (key.QueryArgument) {
    const name = key.QueryArgument.Name.toLowerCase();
    return transformed((ctx) => queryArgumentsOf(ctx).get(name)?.[0], key.QueryArgument.TextTransformations);
  }
  if (key.QueryString)
    return transformed(
      (ctx) => (ctx.request.queryString === "" ? undefined : ctx.request.queryString),
      key.QueryString.TextTransformations,
    );
  if (key.UriPath) return transformed((ctx) => ctx.request.uriPath, key.UriPath.TextTransformations);
  if (key.HTTPMethod) return (ctx) => ctx.request.method;
  if (key.IP) return (ctx) => ctx.request.sourceIp;
  if (key.ForwardedIP) return forwardedIp;
  if (key.LabelNamespace) {
    const namespace = key.LabelNamespace.Namespace;
    return (ctx) => {
      const labels = ctx.labels.filter((label) => label.startsWith(namespace));
      return labels.length === 0 ? undefined : labels.join(",");
    };
  }
  return () => undefined;
}
