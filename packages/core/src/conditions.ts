import { isIP } from "node:net";
import { check, Errors } from "./errors.ts";
import type { ConditionField, QueryStringPair, RuleCondition } from "./types.ts";
import { checkLength } from "./validate.ts";

const fields: ConditionField[] = [
  "path-pattern",
  "host-header",
  "http-header",
  "http-request-method",
  "query-string",
  "source-ip",
];
/** Condition types a rule may hold at most once; http-header and query-string may repeat. */
const singular: ConditionField[] = ["path-pattern", "host-header", "http-request-method", "source-ip"];
export const maxConditionValuesPerRule = 5;

/** The values a condition compares with, whatever form it was written in. */
export function conditionValues(condition: RuleCondition): Array<string | QueryStringPair> {
  switch (condition.field) {
    case "path-pattern":
      return condition.pathPatternConfig?.values ?? condition.values ?? [];
    case "host-header":
      return condition.hostHeaderConfig?.values ?? condition.values ?? [];
    case "http-header":
      return condition.httpHeaderConfig?.values ?? [];
    case "http-request-method":
      return condition.httpRequestMethodConfig?.values ?? [];
    case "query-string":
      return condition.queryStringConfig?.values ?? [];
    case "source-ip":
      return condition.sourceIpConfig?.values ?? [];
  }
}

/**
 * Checks a rule's conditions against ALB's limits and answers them in canonical form (both `values`
 * and the config object for path-pattern and host-header, as DescribeRules shows them).
 */
export function normalizeConditions(conditions: RuleCondition[]): RuleCondition[] {
  check(Array.isArray(conditions) && conditions.length > 0, "A rule must have at least one condition");
  const seen = new Set<ConditionField>();
  let total = 0;
  let wildcards = 0;
  const normalized = conditions.map((condition) => {
    check(typeof condition === "object" && condition !== null, "Each condition must be an object");
    check(
      fields.includes(condition.field),
      `Condition field '${String(condition.field)}' must be one of ${fields.join(", ")}`,
    );
    if (singular.includes(condition.field)) {
      check(!seen.has(condition.field), `A rule can have only one '${condition.field}' condition`);
    }
    seen.add(condition.field);
    if (condition.values !== undefined) {
      check(
        condition.field === "path-pattern" || condition.field === "host-header",
        `Values can be used only with path-pattern and host-header conditions; use the ${condition.field} config`,
      );
      const config =
        condition.field === "path-pattern" ? condition.pathPatternConfig : condition.hostHeaderConfig;
      if (config !== undefined) {
        check(
          JSON.stringify(config.values) === JSON.stringify(condition.values),
          "Values and the condition's config must not both be set with different values",
        );
      }
    }
    const values = conditionValues(condition);
    check(values.length > 0, `A '${condition.field}' condition needs at least one value`);
    total += values.length;
    for (const value of values) wildcards += countWildcards(value);
    return normalizeCondition(condition, values);
  });
  check(
    total <= maxConditionValuesPerRule,
    `A rule can have at most ${maxConditionValuesPerRule} condition values in all, got ${total}`,
  );
  check(wildcards <= 5, `A rule can have at most 5 wildcards in its conditions, got ${wildcards}`);
  return normalized;
}

function countWildcards(value: string | QueryStringPair): number {
  const text = typeof value === "string" ? value : `${value.key ?? ""}${value.value}`;
  return (text.match(/[*?]/g) ?? []).length;
}

function strings(field: string, values: Array<string | QueryStringPair>): string[] {
  return values.map((v) => {
    check(typeof v === "string", `${field} values must be strings`);
    return v;
  });
}

function normalizeCondition(
  condition: RuleCondition,
  values: Array<string | QueryStringPair>,
): RuleCondition {
  switch (condition.field) {
    case "path-pattern": {
      const list = strings("path-pattern", values);
      for (const v of list) {
        checkLength("Path pattern", v, 1, 128);
        check(
          /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/.test(v),
          `Path pattern '${v}' contains characters that are not allowed`,
        );
      }
      return { field: "path-pattern", values: list, pathPatternConfig: { values: list } };
    }
    case "host-header": {
      const list = strings("host-header", values);
      for (const v of list) {
        checkLength("Host header", v, 1, 128);
        check(
          /^[A-Za-z0-9\-.*?]+$/.test(v),
          `Host header '${v}' may contain only letters, digits, '-', '.', '*' and '?'`,
        );
      }
      return { field: "host-header", values: list, hostHeaderConfig: { values: list } };
    }
    case "http-header": {
      const name = condition.httpHeaderConfig?.httpHeaderName;
      check(name !== undefined, "An http-header condition requires HttpHeaderConfig with HttpHeaderName");
      checkLength("HttpHeaderName", name, 1, 40);
      check(
        /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name),
        `HttpHeaderName '${name}' is not a valid header name`,
      );
      const list = strings("http-header", values);
      for (const v of list) checkLength("HTTP header value", v, 1, 128);
      return { field: "http-header", httpHeaderConfig: { httpHeaderName: name, values: list } };
    }
    case "http-request-method": {
      const list = strings("http-request-method", values);
      for (const v of list) {
        checkLength("HTTP request method", v, 1, 40);
        check(/^[A-Z_-]+$/.test(v), `HTTP request method '${v}' may contain only A-Z, '-' and '_'`);
      }
      return { field: "http-request-method", httpRequestMethodConfig: { values: list } };
    }
    case "query-string": {
      const pairs = values.map((v) => {
        check(
          typeof v === "object" && v !== null && typeof v.value === "string",
          "query-string values are {key, value} pairs",
        );
        checkLength("Query string value", v.value, 1, 128);
        if (v.key !== undefined) checkLength("Query string key", v.key, 1, 128);
        return v.key === undefined ? { value: v.value } : { key: v.key, value: v.value };
      });
      return { field: "query-string", queryStringConfig: { values: pairs } };
    }
    case "source-ip": {
      const list = strings("source-ip", values);
      for (const v of list)
        check(parseCidr(v) !== undefined, `Source IP '${v}' must be an IPv4 or IPv6 CIDR block`);
      return { field: "source-ip", sourceIpConfig: { values: list } };
    }
  }
}

// ---- Matching (the proxy's hot path: compile once per configuration, match per request) -----------

/** What a rule's conditions look at in a request. */
export interface RequestFacts {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The raw query string, without '?'. */
  query: string;
  /** The Host header without its port. */
  host: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The connection's remote address (never X-Forwarded-For). */
  sourceIp: string;
}

export type RequestMatcher = (request: RequestFacts) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

/** `*` matches any run of characters, `?` exactly one: ALB's wildcard syntax. */
export function wildcardRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const body = escapeRegExp(pattern).replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
}

/**
 * Whether any pattern matches `text`. An index loop, not `patterns.some(p => ...)`: that closure was
 * allocated for every rule of every request (about 1 KB a request with ten path rules, bench/proxy).
 */
function anyMatches(patterns: readonly RegExp[], text: string): boolean {
  for (let i = 0; i < patterns.length; i++) if ((patterns[i] as RegExp).test(text)) return true;
  return false;
}

/** Compiles a rule's conditions into one predicate: every condition must hold, any value of each. */
export function compileConditions(conditions: RuleCondition[]): RequestMatcher {
  const matchers = conditions.map(compileCondition);
  const only = matchers.length === 1 ? matchers[0] : undefined;
  if (only) return only;
  return (request) => {
    for (let i = 0; i < matchers.length; i++) if (!(matchers[i] as RequestMatcher)(request)) return false;
    return true;
  };
}

function compileCondition(condition: RuleCondition): RequestMatcher {
  const values = conditionValues(condition);
  switch (condition.field) {
    case "path-pattern": {
      // Case-sensitive, on the path only.
      const patterns = (values as string[]).map((v) => wildcardRegExp(v, false));
      return (r) => anyMatches(patterns, r.path);
    }
    case "host-header": {
      const patterns = (values as string[]).map((v) => wildcardRegExp(v, true));
      return (r) => anyMatches(patterns, r.host);
    }
    case "http-header": {
      const name = (condition.httpHeaderConfig?.httpHeaderName ?? "").toLowerCase();
      const patterns = (values as string[]).map((v) => wildcardRegExp(v, true));
      return (r) => {
        const header = r.headers[name];
        if (header === undefined) return false;
        if (!Array.isArray(header)) return anyMatches(patterns, header);
        return header.some((h) => anyMatches(patterns, h));
      };
    }
    case "http-request-method": {
      const methods = new Set(values as string[]);
      return (r) => methods.has(r.method);
    }
    case "query-string": {
      const pairs = (values as QueryStringPair[]).map((pair) => ({
        key: pair.key === undefined ? undefined : wildcardRegExp(pair.key, true),
        value: wildcardRegExp(pair.value, true),
      }));
      return (r) => {
        const params = parseQuery(r.query);
        return pairs.some((pair) =>
          params.some(
            ([key, value]) => (pair.key === undefined || pair.key.test(key)) && pair.value.test(value),
          ),
        );
      };
    }
    case "source-ip": {
      const blocks = (values as string[]).map((v) => parseCidr(v)).filter((b) => b !== undefined);
      return (r) => {
        const address = parseAddress(r.sourceIp);
        return address !== undefined && blocks.some((block) => cidrContains(block, address));
      };
    }
  }
}

function parseQuery(query: string): Array<[string, string]> {
  if (query === "") return [];
  return query.split("&").map((part) => {
    const eq = part.indexOf("=");
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    return eq === -1 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  });
}

// ---- CIDR ------------------------------------------------------------------------------------------

interface Address {
  bits: bigint;
  width: 32 | 128;
}
interface Cidr extends Address {
  prefix: number;
}

/** The 16-bit groups of one side of "::", an embedded IPv4 tail (::ffff:1.2.3.4) counting as two. */
function ipv6Groups(part: string): string[] {
  if (part === "") return [];
  const groups = part.split(":");
  const last = groups[groups.length - 1] ?? "";
  if (last.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split(".").map(Number);
    groups.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  return groups;
}

function parseAddress(text: string): Address | undefined {
  // node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d.
  const ip = text.startsWith("::ffff:") && isIP(text.slice(7)) === 4 ? text.slice(7) : text;
  const version = isIP(ip);
  if (version === 4) {
    const bits = ip.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { bits, width: 32 };
  }
  if (version === 6) {
    const [head = "", tail] = ip.split("::");
    const headGroups = ipv6Groups(head);
    const tailGroups = ipv6Groups(tail ?? "");
    const zeros =
      tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill("0");
    const bits = [...headGroups, ...zeros, ...tailGroups].reduce(
      (acc, group) => (acc << 16n) | BigInt(Number.parseInt(group || "0", 16)),
      0n,
    );
    return { bits, width: 128 };
  }
  return undefined;
}

export function parseCidr(text: string): Cidr | undefined {
  const [ip = "", prefixText, extra] = text.split("/");
  if (prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const address = parseAddress(ip);
  const prefix = Number(prefixText);
  if (address === undefined || prefix > address.width) return undefined;
  return { ...address, prefix };
}

function cidrContains(block: Cidr, address: Address): boolean {
  let bits = address.bits;
  let width = address.width;
  if (block.width === 32 && width === 128 && bits >> 32n === 0xffffn) {
    bits &= 0xffffffffn;
    width = 32;
  }
  if (block.width !== width) return false;
  const shift = BigInt(width - block.prefix);
  return bits >> shift === block.bits >> shift;
}

export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw new Errors.ValidationError(`Priority must be an integer between 1 and 50000, got ${priority}`);
  }
}
