import { type ClassifyOptions, classifyRequest, type DesyncClass } from "@scaleout/core";
import type { RequestContext } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import type { ListenerConfig } from "./snapshot.ts";

export interface Rejection {
  status: number;
  reason: string;
}

/** The access log's spelling of each class (ALB's `classification` field). */
const classLabel: Record<DesyncClass, string> = {
  compliant: "Compliant",
  acceptable: "Acceptable",
  ambiguous: "Ambiguous",
  severe: "Severe",
};

/**
 * Request normalisation, run before the router for plain requests, upgrades and HTTP/2 requests alike: ALB's desync
 * classification (packages/core `classifyRequest`) under the load balancer's
 * `routing.http.desync_mitigation_mode` and `routing.http.drop_invalid_header_fields.enabled`. Rules match
 * the verdict's normalised path and host; forwarding sends its origin-form target and headers; the
 * access log records the class and its reason. What the classifier refuses is answered with its status.
 */
export class RequestNormaliser {
  /** Per listener of the current snapshot (a new snapshot has new listener objects): no per-request options. */
  private readonly options = new WeakMap<ListenerConfig, ClassifyOptions>();

  constructor(private readonly resources: SystemResources) {}

  normalise(ctx: RequestContext): Rejection | undefined {
    const req = ctx.req;
    const verdict = classifyRequest(
      {
        method: req.method ?? "GET",
        target: req.url ?? "/",
        // An HTTP/2 request is classified as the HTTP/1.1 request it is forwarded as: its header list
        // is already that view (h2/requests.ts), its framing the protocol's own.
        httpVersion: req.httpVersionMajor === 2 ? "1.1" : req.httpVersion,
        rawHeaders: ctx.rawHeaders,
      },
      this.optionsFor(ctx),
    );
    ctx.classification = classLabel[verdict.classification];
    if (!verdict.ok) {
      ctx.classificationReason = verdict.reason;
      return { status: verdict.status, reason: verdict.reason };
    }
    ctx.classificationReason = verdict.reason ?? "-";
    const facts = ctx.facts;
    facts.path = verdict.path;
    facts.query = verdict.query;
    facts.host = verdict.host;
    ctx.forwardTarget = verdict.target;
    ctx.rawHeaders = verdict.rawHeaders;
    ctx.closeAfter = verdict.closeAfter;
    return undefined;
  }

  private optionsFor(ctx: RequestContext): ClassifyOptions {
    let options = this.options.get(ctx.listener);
    if (!options) {
      const host = this.resources.options.bindHost;
      options = {
        mode: ctx.lb.desyncMode,
        dropInvalidHeaderFields: ctx.lb.dropInvalidHeaders,
        // An HTTP/1.0 request without Host is forwarded with the listener's address as its Host.
        defaultHost: `${host.includes(":") ? `[${host}]` : host}:${ctx.listener.port}`,
      };
      this.options.set(ctx.listener, options);
    }
    return options;
  }
}
