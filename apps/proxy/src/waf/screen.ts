import { evaluateWebAcl, type WafRequest } from "@scaleout/core";
import type { ClientResponse } from "../client-messages.ts";
import type { RequestContext, RequestOutcomes } from "../request-context.ts";
import type { SystemResources } from "../resources.ts";

/**
 * AWS WAF in front of the listener rules: the load balancer's web ACL (when one is associated) judges
 * every request, HTTP/1.1, upgrades and HTTP/2 alike, before any rule is matched. A blocked request is
 * answered here (WAF's 403 or the rule's custom response) and never reaches a target; an allowed or
 * counted one goes on with the headers its rules insert. Answers whether the request was answered.
 *
 * The request body is not read ahead for inspection: a Body field sees no bytes, its size is the
 * Content-Length (docs/aws-differences.md).
 */
export function screenRequest(
  resources: SystemResources,
  ctx: RequestContext,
  res: ClientResponse,
  outcomes: RequestOutcomes,
): boolean {
  const acl = ctx.lb.webAcl;
  if (!acl) return false;
  const req = ctx.req;
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const contentLength = req.headers["content-length"];
  const view: WafRequest = {
    method: req.method ?? "GET",
    uriPath: q === -1 ? url : url.slice(0, q),
    queryString: q === -1 ? "" : url.slice(q + 1),
    headers: req.headers,
    sourceIp: ctx.clientIp,
    bodySize: contentLength === undefined ? undefined : Number(contentLength) || 0,
  };
  const now = resources.now();
  const verdict = evaluateWebAcl(acl, view, now);
  resources.waf.record(
    acl,
    verdict,
    {
      clientIp: ctx.clientIp,
      uri: view.uriPath,
      method: view.method,
      httpVersion: req.httpVersion,
      rawHeaders: ctx.rawHeaders,
    },
    now,
  );
  if (verdict.action === "BLOCK") {
    const response = verdict.response;
    ctx.action = "waf";
    if (!response || res.headersSent) {
      outcomes.answerError(ctx, res, 403, "WAFBlocked");
      return true;
    }
    res.writeHead(response.status, response.headers.flat());
    res.end(response.body);
    outcomes.finish(ctx, { elbStatus: response.status, sentBytes: Buffer.byteLength(response.body) });
    return true;
  }
  if (verdict.insertHeaders.length > 0) {
    const raw = [...ctx.rawHeaders];
    for (const [name, value] of verdict.insertHeaders) raw.push(name, value);
    ctx.rawHeaders = raw;
  }
  return false;
}
