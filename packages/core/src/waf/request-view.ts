import type { IpAddress } from "./ip-numbers.ts";

/** ALB's body inspection limit: WAF sees the first 8 KB of a request body (OversizeHandling beyond). */
export const bodyInspectionLimit = 8 * 1024;

/**
 * A request as the WAF engine inspects it. Strings are byte strings (one char a byte, latin1) as Node reads
 * them; the engine transforms and compares bytes, never decoded text.
 */
export interface WafRequest {
  method: string;
  /** The path as the client sent it, without the query. */
  uriPath: string;
  /** After `?`, without it; empty when none. */
  queryString: string;
  /** Lower-cased names, as node:http gives them (repeated headers joined). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The connection's peer. */
  sourceIp: string;
  /** The body's first bytes (up to bodyInspectionLimit), when the data plane read them. */
  body?: string;
  /** The body's whole size when known (Content-Length). */
  bodySize?: number;
}

/** One evaluation's working state: what the statements share (labels so far, parsed query, parsed ip). */
export interface EvaluationContext {
  request: WafRequest;
  now: number;
  /** Fully qualified labels added by the rules matched so far. */
  labels: string[];
  queryArguments: Map<string, string[]> | undefined;
  sourceAddress: IpAddress | null | undefined;
}

/** The query's arguments by lower-cased name (WAF matches argument names case-insensitively), values raw. */
export function queryArgumentsOf(ctx: EvaluationContext): Map<string, string[]> {
  if (ctx.queryArguments) return ctx.queryArguments;
  const args = new Map<string, string[]>();
  const query = ctx.request.queryString;
  if (query !== "") {
    for (const pair of query.split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const name = (eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      const list = args.get(name);
      if (list) list.push(value);
      else args.set(name, [value]);
    }
  }
  ctx.queryArguments = args;
  return args;
}

/** A header's value; repeated headers (node:http keeps some as lists) joined with ", ". */
export function headerOf(request: WafRequest, lowerName: string): string | undefined {
  const value = request.headers[lowerName];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.join(", ");
}

/**
 * The addresses a forwarded-IP header names at `position` (FIRST, LAST, ANY), trimmed; undefined when
 * the header is absent or empty (the fallback behaviour applies).
 */
export function forwardedAddresses(
  ctx: EvaluationContext,
  header: string,
  position: "FIRST" | "LAST" | "ANY",
): string[] | undefined {
  const raw = ctx.request.headers[header];
  const value = raw === undefined ? undefined : typeof raw === "string" ? raw : raw.join(",");
  if (value === undefined || value.trim() === "") return undefined;
  const parts = value.split(",");
  // ANY: WAF inspects at most 10 addresses of the header.
  if (position === "ANY") return parts.slice(0, 10).map((p) => p.trim());
  const one = position === "FIRST" ? parts[0] : parts[parts.length - 1];
  return [(one ?? "").trim()];
}
