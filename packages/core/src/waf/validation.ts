import { invalidParameter, WafErrors, wafCheck } from "./errors.ts";
import { arr, bool, isObj, num, type Obj, obj, optObj, optStr, setMembers, str } from "./read.ts";
import type {
  CustomHTTPHeader,
  CustomResponse,
  CustomResponseBody,
  DefaultAction,
  RuleAction,
  VisibilityConfig,
  WafRule,
  WafScope,
} from "./types.ts";
import { exactlyOne, notEvaluated, type StatementOptions } from "./validation-parts.ts";
import { readStatement } from "./validation-statements.ts";

/*
 * The wafv2 inputs of web ACLs, read from hostile JSON into the contract's shape (types.ts), checked as
 * WAF checks them: the model's constraints (ValidationException) and WAF's own rules
 * (WAFInvalidParameterException): rule names and priorities unique, one action a rule, a metric name WAF
 * does not reserve, a custom response's body key among the web ACL's bodies.
 */

const entityName = { min: 1, max: 128, pattern: /^[\w-]+$/, patternText: "^[\\w\\-]+$" };
const descriptionRule = {
  min: 1,
  max: 256,
  pattern: /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/,
  patternText: "^[\\w+=:#@/\\-,\\.][\\w+=:#@/\\-,\\.\\s]+[\\w+=:#@/\\-,\\.]$",
};
const metricNameRule = { min: 1, max: 255, pattern: /^[\w#:.\-/]+$/, patternText: "^[\\w#:\\.\\-/]+$" };
const uuidRule = {
  min: 1,
  max: 36,
  pattern: /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/,
  patternText: "^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$",
};

export const readName = (value: unknown, path = "name"): string => str(value, path, entityName);
export const readDescription = (value: unknown, path = "description"): string | undefined =>
  optStr(value, path, descriptionRule);
export const readId = (value: unknown, path = "id"): string => str(value, path, uuidRule);
export const readLockToken = (value: unknown, path = "lockToken"): string => str(value, path, uuidRule);

/**
 * scaleout serves ALBs in one region: REGIONAL only. CLOUDFRONT is refused the way WAF refuses it outside
 * us-east-1 (docs/aws-differences.md).
 */
export function readScope(value: unknown, path = "scope"): WafScope {
  const scope = str<WafScope>(value, path, { enum: ["CLOUDFRONT", "REGIONAL"] });
  if (scope === "CLOUDFRONT")
    throw invalidParameter(
      "SCOPE_VALUE",
      "CLOUDFRONT",
      "scaleout has no CloudFront distributions: use Scope REGIONAL.",
    );
  return scope;
}

/** Metric names WAF keeps for itself (the web ACL's totals and its default action). */
const reservedMetricNames = ["All", "Default_Action"];

export function readVisibilityConfig(value: unknown, path: string): VisibilityConfig {
  const config = obj(value, path);
  const MetricName = str(config.MetricName, `${path}.metricName`, metricNameRule);
  wafCheck(
    !reservedMetricNames.includes(MetricName),
    "METRIC_NAME",
    MetricName,
    "The metric name is reserved by AWS WAF.",
  );
  return {
    SampledRequestsEnabled: bool(config.SampledRequestsEnabled, `${path}.sampledRequestsEnabled`),
    CloudWatchMetricsEnabled: bool(config.CloudWatchMetricsEnabled, `${path}.cloudWatchMetricsEnabled`),
    MetricName,
  };
}

function readHeaders(value: unknown, path: string): CustomHTTPHeader[] {
  const list = arr(value, path, { min: 1 }).map((item, i) => {
    const at = `${path}.${i + 1}.member`;
    const header = obj(item, at);
    return {
      Name: str(header.Name, `${at}.name`, {
        min: 1,
        max: 64,
        pattern: /^[a-zA-Z0-9._$-]+$/,
        patternText: "^[a-zA-Z0-9._$-]+$",
      }),
      Value: str(header.Value, `${at}.value`, { min: 1, max: 255 }),
    };
  });
  const names = list.map((h) => h.Name.toLowerCase());
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw invalidParameter("HEADER_NAME", duplicate, "Duplicate header name.");
  return list;
}

/** What a custom response may name: the web ACL's CustomResponseBodies keys. */
export interface BodyKeys {
  has(key: string): boolean;
}

function readCustomResponse(value: unknown, path: string, bodies: BodyKeys): CustomResponse {
  const response = obj(value, path);
  const ResponseCode = num(response.ResponseCode, `${path}.responseCode`, { min: 200, max: 599 });
  const key = optStr(response.CustomResponseBodyKey, `${path}.customResponseBodyKey`, entityName);
  const result: CustomResponse = { ResponseCode };
  if (key !== undefined) {
    wafCheck(bodies.has(key), "CUSTOM_RESPONSE_BODY", key, "The custom response body key doesn't exist.");
    result.CustomResponseBodyKey = key;
  }
  if (response.ResponseHeaders !== undefined && response.ResponseHeaders !== null)
    result.ResponseHeaders = readHeaders(response.ResponseHeaders, `${path}.responseHeaders`);
  return result;
}

function readBlock(value: unknown, path: string, bodies: BodyKeys): NonNullable<RuleAction["Block"]> {
  const block = obj(value, path);
  const custom = optObj(block.CustomResponse, `${path}.customResponse`);
  return custom === undefined
    ? {}
    : { CustomResponse: readCustomResponse(custom, `${path}.customResponse`, bodies) };
}

function readHandling(value: unknown, path: string): NonNullable<RuleAction["Allow"]> {
  const action = obj(value, path);
  const handling = optObj(action.CustomRequestHandling, `${path}.customRequestHandling`);
  return handling === undefined
    ? {}
    : {
        CustomRequestHandling: {
          InsertHeaders: readHeaders(handling.InsertHeaders, `${path}.customRequestHandling.insertHeaders`),
        },
      };
}

export function readDefaultAction(value: unknown, path: string, bodies: BodyKeys): DefaultAction {
  const action = obj(value, path);
  const set = setMembers(action).filter((key) => key === "Block" || key === "Allow");
  if (set.length !== 1) throw invalidParameter("DEFAULT_ACTION", "DefaultAction", exactlyOne);
  if (set[0] === "Block") return { Block: readBlock(action.Block, `${path}.block`, bodies) };
  if (set[0] === "Allow") return { Allow: readHandling(action.Allow, `${path}.allow`) };
  throw invalidParameter("DEFAULT_ACTION", String(set[0]), exactlyOne);
}

const ruleActionMembers = ["Block", "Allow", "Count", "Captcha", "Challenge", "Monetize"];

function readRuleAction(value: unknown, path: string, bodies: BodyKeys): RuleAction {
  const action = obj(value, path);
  const set = setMembers(action).filter((key) => ruleActionMembers.includes(key));
  const only = set[0];
  if (set.length !== 1 || only === undefined) throw invalidParameter("RULE_ACTION", "Action", exactlyOne);
  switch (only) {
    case "Block":
      return { Block: readBlock(action.Block, `${path}.block`, bodies) };
    case "Allow":
      return { Allow: readHandling(action.Allow, `${path}.allow`) };
    case "Count":
      return { Count: readHandling(action.Count, `${path}.count`) };
    case "Captcha":
    case "Challenge":
    case "Monetize":
      throw invalidParameter("RULE_ACTION", only, notEvaluated(`the ${only} action`));
    default:
      throw invalidParameter("RULE_ACTION", only, exactlyOne);
  }
}

const labelRule = { min: 1, max: 1024, pattern: /^[0-9A-Za-z_\-:]+$/, patternText: "^[0-9A-Za-z_\\-:]+$" };

export function readRule(value: unknown, path: string, bodies: BodyKeys, options: StatementOptions): WafRule {
  const rule = obj(value, path);
  const Name = readName(rule.Name, `${path}.name`);
  const Priority = num(rule.Priority, `${path}.priority`, { min: 0, max: 2 ** 31 - 1 });
  const Statement = readStatement(rule.Statement, `${path}.statement`, options);
  if (rule.OverrideAction !== undefined && rule.OverrideAction !== null)
    throw invalidParameter(
      "OVERRIDE_ACTION",
      Name,
      "An OverrideAction is only for rule group statements; use Action.",
    );
  for (const member of ["CaptchaConfig", "ChallengeConfig"])
    if (rule[member] !== undefined && rule[member] !== null)
      throw invalidParameter("RULE", member, notEvaluated(member));
  if (rule.Action === undefined || rule.Action === null)
    throw invalidParameter("RULE_ACTION", Name, "A rule needs an Action.");
  const result: WafRule = {
    Name,
    Priority,
    Statement,
    Action: readRuleAction(rule.Action, `${path}.action`, bodies),
    VisibilityConfig: readVisibilityConfig(rule.VisibilityConfig, `${path}.visibilityConfig`),
  };
  if (rule.RuleLabels !== undefined && rule.RuleLabels !== null)
    result.RuleLabels = arr(rule.RuleLabels, `${path}.ruleLabels`).map((label, i) => ({
      Name: str(
        obj(label, `${path}.ruleLabels.${i + 1}.member`).Name,
        `${path}.ruleLabels.${i + 1}.member.name`,
        labelRule,
      ),
    }));
  return result;
}

/** A web ACL's rules: names and priorities unique among them (WAF refuses a duplicate of either). */
export function readRules(
  value: unknown,
  bodies: BodyKeys,
  options: StatementOptions,
  path = "rules",
): WafRule[] {
  if (value === undefined || value === null) return [];
  const rules = arr(value, path).map((rule, i) => readRule(rule, `${path}.${i + 1}.member`, bodies, options));
  const seenNames = new Set<string>();
  const seenPriorities = new Set<number>();
  for (const rule of rules) {
    wafCheck(
      !seenNames.has(rule.Name),
      "RULE",
      rule.Name,
      "A rule with this name already exists in the web ACL.",
    );
    wafCheck(
      !seenPriorities.has(rule.Priority),
      "RULE",
      String(rule.Priority),
      "A rule with this priority already exists in the web ACL.",
    );
    seenNames.add(rule.Name);
    seenPriorities.add(rule.Priority);
  }
  // WAF evaluates rules in priority order and answers them in that order.
  return rules.sort((a, b) => a.Priority - b.Priority);
}

export function readCustomResponseBodies(
  value: unknown,
  path = "customResponseBodies",
): Record<string, CustomResponseBody> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObj(value))
    throw invalidParameter("CUSTOM_RESPONSE_BODY", path, "CustomResponseBodies must be a map.");
  const entries = Object.entries(value as Obj);
  wafCheck(entries.length >= 1, "CUSTOM_RESPONSE_BODY", path, "CustomResponseBodies must not be empty.");
  return Object.fromEntries(
    entries.map(([key, body]) => {
      str(key, `${path}.key`, entityName);
      const at = `${path}.${key}.member`;
      const item = obj(body, at);
      return [
        key,
        {
          ContentType: str<CustomResponseBody["ContentType"]>(item.ContentType, `${at}.contentType`, {
            enum: ["TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON"],
          }),
          Content: str(item.Content, `${at}.content`, { min: 1, max: 10240 }),
        },
      ];
    }),
  );
}

/** The configurable parts of a web ACL (CreateWebACL and UpdateWebACL alike). */
export interface WebAclDefinition {
  DefaultAction: DefaultAction;
  Rules: WafRule[];
  VisibilityConfig: VisibilityConfig;
  CustomResponseBodies?: Record<string, CustomResponseBody>;
}

/** Members of Create/UpdateWebACL that scaleout does not implement: refused rather than dropped. */
const unsupportedWebAclMembers = [
  "DataProtectionConfig",
  "CaptchaConfig",
  "ChallengeConfig",
  "TokenDomains",
  "AssociationConfig",
  "OnSourceDDoSProtectionConfig",
  "ApplicationConfig",
  "MonetizationConfig",
];

export function readWebAclDefinition(input: Obj, options: StatementOptions): WebAclDefinition {
  for (const member of unsupportedWebAclMembers)
    if (input[member] !== undefined && input[member] !== null)
      throw invalidParameter("WEB_ACL", member, notEvaluated(member));
  const bodies = readCustomResponseBodies(input.CustomResponseBodies);
  const keys = new Set(Object.keys(bodies ?? {}));
  const definition: WebAclDefinition = {
    DefaultAction: readDefaultAction(input.DefaultAction, "defaultAction", keys),
    Rules: readRules(input.Rules, keys, options),
    VisibilityConfig: readVisibilityConfig(input.VisibilityConfig, "visibilityConfig"),
  };
  if (bodies !== undefined) definition.CustomResponseBodies = bodies;
  return definition;
}

/** WAF's default web ACL capacity (WCUs); more is refused with WAFLimitsExceededException. */
export const maxWebAclCapacity = 1500;

export function checkWebAclCapacity(capacity: number): void {
  if (capacity > maxWebAclCapacity)
    throw new WafErrors.WAFLimitsExceededException(
      `The web ACL uses ${capacity} WCUs, more than its limit of ${maxWebAclCapacity}.`,
    );
}
