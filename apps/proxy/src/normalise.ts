import type { RequestContext } from "./request-context.ts";

export interface Rejection {
  status: number;
  reason: string;
}

/**
 * The request normalisation hook, run before the router for plain requests and upgrades alike: fills
 * the facts rules match (path, query, host) and what forwarding sends (request target, headers), or
 * answers why the request is refused.
 */
export function normaliseRequest(ctx: RequestContext): Rejection | undefined {
  const req = ctx.req;
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const hostHeader = req.headers.host ?? "";
  const colon = hostHeader.startsWith("[") ? hostHeader.indexOf("]:") + 1 : hostHeader.lastIndexOf(":");
  const facts = ctx.facts;
  facts.path = q === -1 ? url : url.slice(0, q);
  facts.query = q === -1 ? "" : url.slice(q + 1);
  facts.host = colon > 0 ? hostHeader.slice(0, colon) : hostHeader;
  ctx.forwardTarget = url;
  ctx.rawHeaders = req.rawHeaders;
  return undefined;
}
