import type { EvaluationContext, WafRequest } from "./request-view.ts";
import type { BlockResponse, CompiledWafRule, CompiledWebAcl } from "./web-acl.ts";

/** What the web ACL decided for one request. */
export interface WafVerdict {
  action: "ALLOW" | "BLOCK";
  /** The rule that decided; undefined when the default action did. */
  rule: CompiledWafRule | undefined;
  /** Count rules that matched on the way, in priority order. */
  counted: readonly CompiledWafRule[];
  /** Headers for the target (Allow and Count's CustomRequestHandling), `x-amzn-waf-` prefixed. */
  insertHeaders: ReadonlyArray<readonly [string, string]>;
  /** BLOCK: the answer. */
  response: BlockResponse | undefined;
  /** Every label the matched rules added, fully qualified. */
  labels: readonly string[];
}

const none: readonly never[] = [];

/**
 * Evaluates the rules in priority order: the first matching Allow or Block rule decides; a matching Count
 * rule adds its labels and headers and evaluation continues; when no rule decides, the default action
 * does. Labels of a matched rule are visible to the rules after it (LabelMatchStatement).
 */
export function evaluateWebAcl(acl: CompiledWebAcl, request: WafRequest, now: number): WafVerdict {
  const ctx: EvaluationContext = {
    request,
    now,
    labels: [],
    queryArguments: undefined,
    sourceAddress: undefined,
  };
  let counted: CompiledWafRule[] | undefined;
  let headers: Array<readonly [string, string]> | undefined;
  const addHeaders = (more: ReadonlyArray<readonly [string, string]>) => {
    if (more.length === 0) return;
    headers = headers ? headers.concat(more) : [...more];
  };
  for (const rule of acl.rules) {
    if (!rule.matches(ctx)) continue;
    for (const label of rule.labels) ctx.labels.push(label);
    if (rule.action === "COUNT") {
      counted = counted ? [...counted, rule] : [rule];
      addHeaders(rule.insertHeaders);
      continue;
    }
    if (rule.action === "ALLOW") addHeaders(rule.insertHeaders);
    return {
      action: rule.action,
      rule,
      counted: counted ?? none,
      insertHeaders: rule.action === "ALLOW" ? (headers ?? none) : none,
      response: rule.response,
      labels: ctx.labels,
    };
  }
  if (acl.defaultAction === "ALLOW") addHeaders(acl.defaultInsertHeaders);
  return {
    action: acl.defaultAction,
    rule: undefined,
    counted: counted ?? none,
    insertHeaders: acl.defaultAction === "ALLOW" ? (headers ?? none) : none,
    response: acl.defaultResponse,
    labels: ctx.labels,
  };
}
