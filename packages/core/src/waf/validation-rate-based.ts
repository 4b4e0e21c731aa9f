import { wafCheck } from "./errors.ts";
import { isObj, num, obj, optNum, optObj, str } from "./read.ts";
import type { RateBasedStatement, Statement } from "./types.ts";
import { readCustomKeys, readForwardedIPConfig, type StatementOptions } from "./validation-parts.ts";

/*
 * A rate-based statement as WAF checks it: its limit and window, the aggregation key type with the
 * members that go with it, and a scope-down statement read by the caller (which refuses a rate-based
 * statement inside it).
 */

/** WAF's evaluation windows; fast mode allows any whole number of seconds from 1 to 600. */
export const evaluationWindows = [60, 120, 300, 600] as const;

export function readRateBased(
  value: unknown,
  path: string,
  options: StatementOptions,
  readScopeDown: (value: unknown, path: string) => Statement,
): RateBasedStatement {
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
  if (hasScopeDown) statement.ScopeDownStatement = readScopeDown(scopeDown, `${path}.scopeDownStatement`);
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
