import { type Action, redirectLocation } from "@scaleout/core";
import type { ClientResponse } from "./client-messages.ts";
import type { RequestContext, RequestOutcomes } from "./request-context.ts";
import type { Router } from "./router.ts";

/** A fixed-response action's answer; answers the status and the body bytes sent. */
export function sendFixedResponse(
  res: ClientResponse,
  config: Action["fixedResponseConfig"],
): { status: number; sentBytes: number } {
  const status = Number(config?.statusCode ?? 200);
  const body = config?.messageBody ?? "";
  const length = Buffer.byteLength(body);
  const headers: Record<string, string | number> = { server: "awselb/2.0", "content-length": length };
  if (config?.contentType !== undefined) headers["content-type"] = config.contentType;
  res.writeHead(status, headers);
  res.end(body);
  return { status, sentBytes: length };
}

/** A redirect action's answer, its Location built from the normalised request; answers the status. */
export function sendRedirect(
  res: ClientResponse,
  config: NonNullable<Action["redirectConfig"]>,
  ctx: RequestContext,
): number {
  const location = redirectLocation(config, {
    protocol: ctx.listener.protocolLower,
    host: hostAsSent(ctx),
    port: ctx.listener.port,
    path: ctx.facts.path,
    query: ctx.facts.query,
  });
  ctx.redirect = location;
  const status = config.statusCode === "HTTP_301" ? 301 : 302;
  res.writeHead(status, { server: "awselb/2.0", location, "content-length": 0 });
  res.end();
  return status;
}

/**
 * The Host as the client wrote it (or as the absolute-form target named it), without its port: rules
 * compare hosts case-insensitively on a lower-cased copy, but a redirect keeps the client's spelling.
 */
function hostAsSent(ctx: RequestContext): string {
  const raw = ctx.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? "").toLowerCase() !== "host") continue;
    const value = (raw[i + 1] ?? "").trim();
    const colon = value.startsWith("[") ? value.indexOf("]:") + 1 : value.lastIndexOf(":");
    return colon > 0 ? value.slice(0, colon) : value;
  }
  return ctx.facts.host;
}

/**
 * A request's rule, for every listener kind (HTTP/1.1, upgrades, HTTP/2), after the load balancer's web ACL
 * (AWS WAF, which may answer it first): the first matching rule's action
 * answers it here (fixed response, redirect; a 503 when no rule or no target can take it), or picks
 * `ctx.target`. Answers the cookies to set when the request goes to its target, undefined when it was
 * answered.
 */
export function runRule(
  router: Router,
  outcomes: RequestOutcomes,
  ctx: RequestContext,
  res: ClientResponse,
): Array<[string, string]> | undefined {
  if (ctx.lb.webAcl && router.screen(ctx, res, outcomes)) return undefined;
  const rule = router.match(ctx.listener, ctx.facts);
  if (!rule) {
    outcomes.answerError(ctx, res, 503, "NoRule");
    return undefined;
  }
  const action = rule.action;
  ctx.rulePriority = rule.priority === null ? "0" : String(rule.priority);
  // ALB logs the web ACL among the actions executed (`waf,forward`) when one judged the request.
  ctx.action = ctx.lb.webAcl ? `waf,${action.type}` : action.type;
  if (action.type === "fixed-response") {
    const sent = sendFixedResponse(res, action.fixedResponseConfig);
    outcomes.finish(ctx, { elbStatus: sent.status, sentBytes: sent.sentBytes });
    return undefined;
  }
  if (action.type === "redirect" && action.redirectConfig) {
    const status = sendRedirect(res, action.redirectConfig, ctx);
    outcomes.finish(ctx, { elbStatus: status, sentBytes: 0 });
    return undefined;
  }
  const cookies: Array<[string, string]> = [];
  const unroutable = router.forward(action, ctx, cookies);
  if (unroutable !== undefined || !ctx.target) {
    outcomes.answerError(ctx, res, 503, unroutable ?? "NoRegisteredTargets");
    return undefined;
  }
  return cookies;
}
