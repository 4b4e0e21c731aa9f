import type { Socket } from "node:net";
import { runRule } from "./actions.ts";
import type { Http1ClientResponse } from "./client-messages.ts";
import type { DataPlane } from "./data-plane.ts";
import { sendElbError } from "./forward.ts";
import type { Forwarding } from "./forwarding.ts";
import { endConnection } from "./http1/connection.ts";
import type { Http1Request } from "./http1/request.ts";
import { Http1Response } from "./http1/response.ts";
import type { RequestHandlers } from "./listeners.ts";
import type { RequestNormaliser } from "./normalise.ts";
import { beginRequest, type RequestContext, type RequestOutcomes } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import type { Router } from "./router.ts";
import type { Tunnel } from "./tunnel.ts";

const maxForwardedFor = 30;

/**
 * HTTP/1.x listeners' requests, plain and upgrades alike: normalise, route, then act (fixed response,
 * redirect) or forward (a plain exchange, or a tunnel once the target agrees to switch protocols).
 * An exception anywhere in one request ends that request (500), never the process.
 */
export class HttpRequests implements RequestHandlers {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly normaliser: RequestNormaliser,
    private readonly router: Router,
    private readonly forwarding: Forwarding,
    private readonly tunnel: Tunnel,
    private readonly outcomes: RequestOutcomes,
  ) {}

  request(req: Http1Request, res: Http1ClientResponse, port: number): void {
    const ctx = this.begin(req, port);
    if (!ctx) {
      sendElbError(res, 503);
      return;
    }
    try {
      this.serve(ctx, res, undefined, undefined);
    } catch (error) {
      this.failed(ctx, res, error);
    }
  }

  /**
   * A request carrying Upgrade. The server hands over the raw socket; a response on it lets every answer
   * short of a tunnel (rule actions, errors, a target that does not switch) go out exactly as a plain
   * request's would, with `connection: close`: nothing after it on this connection is read, so a
   * pipelined request can never reach a target unrouted.
   */
  upgrade(req: Http1Request, socket: Socket, head: Buffer, port: number): void {
    socket.on("error", destroyOnError);
    const res = new Http1Response(req, socket, endAfterResponse, 0);
    res.shouldKeepAlive = false;
    const ctx = this.begin(req, port);
    if (!ctx) {
      sendElbError(res, 503);
      return;
    }
    try {
      this.serve(ctx, res, socket, head);
    } catch (error) {
      this.failed(ctx, res, error);
    }
  }

  private begin(req: Http1Request, port: number): RequestContext | undefined {
    return beginRequest(
      this.plane,
      this.resources,
      this.outcomes,
      req,
      port,
      req.method ?? "GET",
      req.headers,
      req.rawHeaders,
    );
  }

  private serve(
    ctx: RequestContext,
    res: Http1ClientResponse,
    upgradeSocket: Socket | undefined,
    upgradeHead: Buffer | undefined,
  ): void {
    const xff = ctx.req.headers["x-forwarded-for"];
    if (typeof xff === "string" && xff.split(",").length > maxForwardedFor) {
      this.outcomes.answerError(ctx, res, 463, "TooManyForwardedForAddresses");
      return;
    }
    const rejection = this.normaliser.normalise(ctx);
    if (rejection) {
      // The connection's last response: http1/ reads nothing after it, so a pipelined request is never served.
      res.shouldKeepAlive = false;
      this.outcomes.answerError(ctx, res, rejection.status, rejection.reason);
      return;
    }
    if (ctx.closeAfter) res.shouldKeepAlive = false;

    const cookies = runRule(this.router, this.outcomes, ctx, res);
    // runRule answered the request, or chose ctx.target (checked again for the compiler's sake).
    if (!cookies || !ctx.target) return;
    if (upgradeSocket && upgradeHead) this.tunnel.open(ctx, res, upgradeSocket, upgradeHead, cookies);
    else this.forwarding.dispatch(ctx, res, ctx.target, cookies, false);
  }

  private failed(ctx: RequestContext, res: Http1ClientResponse, error: unknown): void {
    this.resources.log.error(`request ${ctx.traceId} failed inside the proxy`, error);
    try {
      this.outcomes.answerError(ctx, res, 500, "InternalError");
    } catch {
      res.destroy();
    }
  }
}

/** An upgrade's answer short of a tunnel is the last thing on its connection. */
const endAfterResponse = {
  reusable: false,
  responseFinished(res: Http1Response): void {
    if (res.socket) endConnection(res.socket);
  },
};

function destroyOnError(this: Socket): void {
  this.destroy();
}
