import { CidrMatcher } from "./cidr-matcher.ts";
import type { RateLimiter, RateLimiterStore } from "./rate-limiter.ts";
import { type CompileEnv, compileStatement, type Matcher } from "./statements.ts";
import type { CustomHTTPHeader, CustomResponse, IpSet, VisibilityConfig, WebAcl } from "./types.ts";

export type WafAction = "ALLOW" | "BLOCK" | "COUNT";

/** What a blocked request is answered: WAF's own 403 page, or the rule's CustomResponse. */
export interface BlockResponse {
  status: number;
  /** Header pairs as sent (content-type and content-length included). */
  headers: Array<[string, string]>;
  body: string;
}

export interface CompiledWafRule {
  name: string;
  priority: number;
  action: WafAction;
  matches: Matcher;
  /** Fully qualified labels it adds when it matches. */
  labels: string[];
  /** Allow / Count CustomRequestHandling: `x-amzn-waf-<name>` headers for the target. */
  insertHeaders: Array<[string, string]>;
  /** Block: its answer. */
  response: BlockResponse | undefined;
  visibility: VisibilityConfig;
  /** The rate-based statements' counters (GetRateBasedStatementManagedKeys). */
  rateLimiters: RateLimiter[];
}

export interface CompiledWebAcl {
  arn: string;
  name: string;
  id: string;
  visibility: VisibilityConfig;
  /** By priority, lowest first. */
  rules: CompiledWafRule[];
  defaultAction: "ALLOW" | "BLOCK";
  defaultInsertHeaders: Array<[string, string]>;
  defaultResponse: BlockResponse | undefined;
}

/** ALB's page for a request WAF blocks. */
const defaultBlockBody =
  "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n";

export const defaultBlockResponse: BlockResponse = {
  status: 403,
  headers: [
    ["server", "awselb/2.0"],
    ["content-type", "text/html"],
    ["content-length", String(defaultBlockBody.length)],
  ],
  body: defaultBlockBody,
};

const contentTypes: Record<string, string> = {
  TEXT_PLAIN: "text/plain",
  TEXT_HTML: "text/html",
  APPLICATION_JSON: "application/json",
};

/** WAF prefixes inserted request headers so an application can tell them from a client's. */
const insertedPrefix = "x-amzn-waf-";

function inserted(headers: readonly CustomHTTPHeader[] | undefined): Array<[string, string]> {
  return (headers ?? []).map((h) => [`${insertedPrefix}${h.Name}`, h.Value]);
}

function blockResponse(acl: WebAcl, custom: CustomResponse | undefined): BlockResponse {
  if (!custom) return defaultBlockResponse;
  const body = custom.CustomResponseBodyKey
    ? acl.CustomResponseBodies?.[custom.CustomResponseBodyKey]
    : undefined;
  const content = body?.Content ?? "";
  const headers: Array<[string, string]> = [["server", "awselb/2.0"]];
  for (const h of custom.ResponseHeaders ?? []) headers.push([h.Name, h.Value]);
  if (body) headers.push(["content-type", contentTypes[body.ContentType] ?? "text/plain"]);
  headers.push(["content-length", String(Buffer.byteLength(content))]);
  return { status: custom.ResponseCode, headers, body: content };
}

/** The IP sets of a snapshot, by ARN, as matchers: compiled once, shared by every web ACL that refers to them. */
export function compileIpSets(sets: Iterable<IpSet>): Map<string, CidrMatcher> {
  const matchers = new Map<string, CidrMatcher>();
  for (const set of sets) matchers.set(set.ARN, new CidrMatcher(set.Addresses));
  return matchers;
}

/**
 * A web ACL compiled once per snapshot: search strings decoded, regexes compiled, IP sets as range
 * tables, rules in priority order, each action's headers and answer prepared, so evaluating a request
 * allocates almost nothing. Rate limiters come from `limiters`, kept across snapshots.
 */
export function compileWebAcl(
  acl: WebAcl,
  ipSets: ReadonlyMap<string, CidrMatcher>,
  limiters: RateLimiterStore,
): CompiledWebAcl {
  const rules = [...acl.Rules]
    .sort((a, b) => a.Priority - b.Priority)
    .map((rule): CompiledWafRule => {
      const env: CompileEnv = {
        ipSets,
        limiters,
        ruleKey: `${acl.ARN}|${rule.Name}`,
        labelNamespace: acl.LabelNamespace,
        rateLimiters: [],
      };
      const matches = compileStatement(rule.Statement, env);
      const action: WafAction = rule.Action?.Block ? "BLOCK" : rule.Action?.Allow ? "ALLOW" : "COUNT";
      return {
        name: rule.Name,
        priority: rule.Priority,
        action,
        matches,
        labels: (rule.RuleLabels ?? []).map((label) =>
          label.Name.startsWith("awswaf:") ? label.Name : acl.LabelNamespace + label.Name,
        ),
        insertHeaders: inserted(
          (rule.Action?.Allow ?? rule.Action?.Count)?.CustomRequestHandling?.InsertHeaders,
        ),
        response: action === "BLOCK" ? blockResponse(acl, rule.Action?.Block?.CustomResponse) : undefined,
        visibility: rule.VisibilityConfig,
        rateLimiters: env.rateLimiters,
      };
    });
  const block = acl.DefaultAction.Block;
  return {
    arn: acl.ARN,
    name: acl.Name,
    id: acl.Id,
    visibility: acl.VisibilityConfig,
    rules,
    defaultAction: block ? "BLOCK" : "ALLOW",
    defaultInsertHeaders: inserted(acl.DefaultAction.Allow?.CustomRequestHandling?.InsertHeaders),
    defaultResponse: block ? blockResponse(acl, block.CustomResponse) : undefined,
  };
}
