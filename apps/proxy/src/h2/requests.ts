import type { Http2ServerRequest } from "node:http2";
import { http1Headers } from "@scaleout/core";
import { runRule } from "../actions.ts";
import type { DataPlane } from "../data-plane.ts";
import { sendElbError } from "../forward.ts";
import type { Forwarding } from "../forwarding.ts";
import type { RequestNormaliser } from "../normalise.ts";
import { beginRequest, type RequestContext, type RequestOutcomes } from "../request-context.ts";
import type { SystemResources } from "../resources.ts";
import type { Router } from "../router.ts";
import type { H2Response } from "./response.ts";

const maxForwardedFor = 30;

/**
 * HTTP/2 requests (one per stream, through Node's compatibility API) on HTTPS listeners: the same
 * systems as HTTP/1.x requests (normaliser, router, actions, forwarding, outcomes) over the request's
 * HTTP/1.1 view, forwarded to targets as HTTP/1.1. HTTP/2's framing leaves no room for request
 * smuggling between client and proxy, so there is no connection to close after an ambiguous request:
 * the classifier's class and reason are still logged and what it refuses is still refused.
 * An exception anywhere in one request resets that stream (500 when it can), never the connection.
 */
export class H2Requests {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly normaliser: RequestNormaliser,
    private readonly router: Router,
    private readonly forwarding: Forwarding,
    private readonly outcomes: RequestOutcomes,
  ) {}

  request(req: Http2ServerRequest, res: H2Response, port: number): void {
    let ctx: RequestContext | undefined;
    try {
      ctx = this.begin(req, port);
      if (!ctx) sendElbError(res, 503);
      else this.serve(ctx, req, res);
    } catch (error) {
      // This runs inside node:http2's stream event: whatever throws ends this stream, not the process.
      this.resources.log.error(`request ${ctx?.traceId ?? "-"} failed inside the proxy`, error);
      try {
        if (ctx) this.outcomes.answerError(ctx, res, 500, "InternalError");
        else sendElbError(res, 500);
      } catch {
        res.destroy();
      }
    }
  }

  private begin(req: Http2ServerRequest, port: number): RequestContext | undefined {
    const headers = req.headers;
    // What the forwarding and the access log read of `headers`, in HTTP/1.1 terms: the Host, and a
    // body of unknown length (DATA frames without content-length) that goes to the target chunked.
    const authority = headers[":authority"];
    if (authority !== undefined) headers.host = authority;
    if (!req.stream.endAfterHeaders && headers["content-length"] === undefined) {
      headers["transfer-encoding"] = "chunked";
    }
    return beginRequest(
      this.plane,
      this.resources,
      this.outcomes,
      req,
      port,
      req.method,
      headers,
      http1Headers(req.rawHeaders),
    );
  }

  private serve(ctx: RequestContext, req: Http2ServerRequest, res: H2Response): void {
    const xff = req.headers["x-forwarded-for"];
    if (typeof xff === "string" && xff.split(",").length > maxForwardedFor) {
      this.outcomes.answerError(ctx, res, 463, "TooManyForwardedForAddresses");
      return;
    }
    const rejection = this.normaliser.normalise(ctx);
    if (rejection) {
      this.outcomes.answerError(ctx, res, rejection.status, rejection.reason);
      return;
    }
    const cookies = runRule(this.router, this.outcomes, ctx, res);
    // runRule answered the request, or chose ctx.target (checked again for the compiler's sake).
    if (!cookies || !ctx.target) return;
    this.forwarding.dispatch(ctx, res, ctx.target, cookies, false);
  }
}
