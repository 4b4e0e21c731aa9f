import { randomBytes } from "node:crypto";
import { bodyStream, type ClientResponse } from "./client-messages.ts";
import {
  connectionListed,
  ForwardHandler,
  type ForwardOwner,
  type ForwardResult,
  hopByHop,
  sendElbError,
} from "./forward.ts";
import type { RequestContext, RequestOutcomes } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import { bindApplicationCookie, targetCookie } from "./stickiness.ts";
import type { TargetState } from "./targets.ts";

const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** X-Amzn-Trace-Id roots: `1-<epoch seconds, 8 hex>-<24 hex>`; a per-process random prefix and a counter keep it cheap. */
const tracePrefix = randomBytes(6).toString("hex");
let traceCounter = 0;
/** `1-<seconds>-<prefix>` for the current second: rebuilt once a second, not once a request. */
let traceSecond = -1;
let traceHead = "";
export function newTraceId(nowMs: number): string {
  traceCounter = (traceCounter + 1) % 0xffffffffffff;
  const second = Math.floor(nowMs / 1000);
  if (second !== traceSecond) {
    traceSecond = second;
    traceHead = `1-${second.toString(16).padStart(8, "0")}-${tracePrefix}`;
  }
  return `${traceHead}${traceCounter.toString(16).padStart(12, "0")}`;
}

/**
 * The request line and headers for the target: the normalised request target, the client's headers
 * minus hop-by-hop ones, plus X-Forwarded-For (by the load balancer's XFF mode), X-Forwarded-Proto/Port
 * and X-Amzn-Trace-Id, and the body's framing (Content-Length as the client sent it, or chunked when the
 * client's body was chunked). An upgrade keeps its Upgrade header and asks the target to switch with
 * `connection: upgrade`; everything else about it is forwarded exactly like a plain request.
 */
export function forwardHead(ctx: RequestContext, upgrade: boolean): string {
  const req = ctx.req;
  const raw = ctx.rawHeaders;
  let head = `${req.method} ${ctx.forwardTarget} HTTP/1.1\r\n`;
  let xff: string | undefined;
  let trace: string | undefined;
  const listed = connectionListed(req.headers.connection);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const value = raw[i + 1] ?? "";
    const lower = name.toLowerCase();
    if (upgrade && lower === "upgrade") {
      head += `${name}: ${value}\r\n`;
      continue;
    }
    if (hopByHop.has(lower) || listed?.has(lower)) continue;
    if (lower === "x-forwarded-for") {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    if (lower === "x-forwarded-proto" || lower === "x-forwarded-port") continue;
    if (lower === "x-amzn-trace-id") {
      trace = value;
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  if (upgrade) head += "connection: upgrade\r\n";
  // Ambiguous in defensive mode: the target's connection is not reused after this request either.
  else if (ctx.closeAfter) head += "connection: close\r\n";
  if (
    !upgrade &&
    req.headers["content-length"] === undefined &&
    req.headers["transfer-encoding"] !== undefined
  ) {
    head += "transfer-encoding: chunked\r\n";
  }
  const mode = ctx.lb.xffMode;
  if (mode === "append")
    head += `x-forwarded-for: ${xff === undefined ? ctx.clientIp : `${xff}, ${ctx.clientIp}`}\r\n`;
  else if (mode === "preserve" && xff !== undefined) head += `x-forwarded-for: ${xff}\r\n`;
  head += `x-forwarded-proto: ${ctx.listener.protocolLower}\r\nx-forwarded-port: ${ctx.listener.port}\r\n`;
  head += `x-amzn-trace-id: ${trace?.includes("Root=") ? `Self=${ctx.traceId};${trace}` : `Root=${ctx.traceId}`}\r\n\r\n`;
  return head;
}

/**
 * Sends a routed request to its target over the target's keep-alive pool and streams the answer back.
 * A connection refused before any byte left is tried once more on another target of the group.
 */
export class Forwarding implements ForwardOwner {
  constructor(
    private readonly resources: SystemResources,
    private readonly outcomes: RequestOutcomes,
    /** A draining target's last request ended: it may leave now rather than at the next sweep. */
    private readonly drained: () => void,
  ) {}

  dispatch(
    ctx: RequestContext,
    res: ClientResponse,
    target: TargetState,
    cookies: Array<[string, string]>,
    retried: boolean,
  ): void {
    const group = ctx.group;
    if (!group) return;
    const req = ctx.req;
    ctx.target = target;
    const now = this.resources.now();
    const cookie = targetCookie(group, target, now);
    const head = forwardHead(ctx, false);
    target.outstanding++;
    const handler = new ForwardHandler(req, res, cookies, cookie, this, ctx, target, retried, now);
    if (!retried) bindApplicationCookie(res, group, ctx, this.resources.now);
    const headers = req.headers;
    const contentLength = headers["content-length"];
    const hasBody =
      contentLength !== undefined ? contentLength !== "0" : headers["transfer-encoding"] !== undefined;
    const method = req.method ?? "";
    handler.inflight = target.inflight.add(handler);
    handler.exchange = target.pool.request(
      {
        head,
        body: hasBody ? bodyStream(req) : undefined,
        chunked: hasBody && contentLength === undefined,
        headRequest: method === "HEAD",
        idempotent: idempotentMethods.has(method),
        idleTimeoutMs: ctx.lb.idleTimeoutMs,
      },
      handler,
    );
  }

  /** A forwarded request ended: its target's counts, a retry on another target, or its outcome. */
  forwarded(handler: ForwardHandler, result: ForwardResult): void {
    const { ctx, res, target } = handler;
    target.outstanding--;
    target.inflight.remove(handler.inflight);
    // This runs inside the target socket's listeners: whatever goes wrong ends this request, not the process.
    try {
      const group = ctx.group;
      if (result.targetMs !== undefined) target.recordLatency(result.targetMs, this.resources.now());
      if (result.targetStatus !== undefined)
        target.counters.response(result.targetStatus, result.targetMs ?? 0);
      if (result.retryable && !handler.retried && group) {
        const other = group.pick(ctx.clientIp, this.resources.now(), target);
        if (other && other !== target) {
          this.resources.metrics.connectionError(ctx.lb, group.config);
          this.dispatch(ctx, res, other, handler.cookies, true);
          return;
        }
      }
      if (result.elbStatus !== undefined) result.sentBytes = sendElbError(res, result.elbStatus);
      if (target.state === "draining" && target.outstanding === 0) this.drained();
      this.outcomes.finish(ctx, result, handler.sentAt);
    } catch (error) {
      this.resources.log.error(`request ${ctx.traceId} failed inside the proxy`, error);
      res.destroy();
      this.outcomes.finish(
        ctx,
        { elbStatus: 500, sentBytes: 0, errorReason: "InternalError" },
        handler.sentAt,
      );
    }
  }
}
