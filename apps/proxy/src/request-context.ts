import { TLSSocket } from "node:tls";
import type { RequestFacts } from "@scaleout/core";
import type { ClientRequest, ClientResponse } from "./client-messages.ts";
import type { DataPlane } from "./data-plane.ts";
import { type ForwardResult, sendElbError } from "./forward.ts";
import { newTraceId } from "./forwarding.ts";
import type { SystemResources } from "./resources.ts";
import type { ListenerConfig, LoadBalancerConfig } from "./snapshot.ts";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

/**
 * One request as the systems see it on its way through the proxy: what normalisation made of it, what
 * the router chose, and what the access log needs at the end. One object per request, filled in place.
 */
export interface RequestContext {
  req: ClientRequest;
  lb: LoadBalancerConfig;
  listener: ListenerConfig;
  clientIp: string;
  started: number;
  traceId: string;
  /** Normalised: what rules match (path, host) ... */
  facts: RequestFacts;
  /** ... and what is forwarded: the origin-form request target and the headers. */
  forwardTarget: string;
  rawHeaders: readonly string[];
  /** ALB's desync classification and its reason, for the access log. */
  classification: string;
  classificationReason: string;
  /** The normaliser asked for the connection to close after this response (defensive mode, ambiguous). */
  closeAfter: boolean;
  rulePriority: string;
  action: string;
  redirect: string;
  group: TargetGroupRuntime | undefined;
  target: TargetState | undefined;
  /** Its outcome was recorded: a second ending (an exception after the answer) records nothing. */
  finished: boolean;
}

export function clientAddress(address: string | undefined): string {
  const text = address ?? "";
  return text.startsWith("::ffff:") ? text.slice(7) : text;
}

/**
 * A request's context as it starts on a listener's port, for every listener kind (HTTP/1.1, upgrades,
 * HTTP/2): its load balancer and listener from the current snapshot, or undefined when the port serves
 * none now; nothing normalised, matched or chosen yet. Counts the request in flight.
 */
export function beginRequest(
  plane: DataPlane,
  resources: SystemResources,
  outcomes: RequestOutcomes,
  req: ClientRequest,
  port: number,
  method: string,
  headers: RequestFacts["headers"],
  rawHeaders: readonly string[],
): RequestContext | undefined {
  const snapshot = plane.snapshot;
  const listener = snapshot?.listeners.get(port);
  const lb = listener ? snapshot?.loadBalancers.get(listener.loadBalancerArn) : undefined;
  if (!listener || !lb) return undefined;
  const started = resources.now();
  const clientIp = clientAddress(req.socket.remoteAddress);
  outcomes.inflight++;
  return {
    req,
    lb,
    listener,
    clientIp,
    started,
    traceId: newTraceId(started),
    facts: { method, path: "/", query: "", host: "", headers, sourceIp: clientIp },
    forwardTarget: "/",
    rawHeaders,
    classification: "-",
    classificationReason: "-",
    closeAfter: false,
    rulePriority: "-",
    action: "-",
    redirect: "-",
    group: undefined,
    target: undefined,
    finished: false,
  };
}

/** Counts requests in flight and records each one's end exactly once. */
export class RequestOutcomes {
  inflight = 0;

  constructor(private readonly resources: SystemResources) {}

  finish(ctx: RequestContext, result: ForwardResult, sentAt?: number): void {
    if (ctx.finished) return;
    ctx.finished = true;
    this.inflight--;
    recordOutcome(this.resources, ctx, result, sentAt);
  }

  /** Answers the request with the load balancer's own error page and records it with its reason. */
  answerError(ctx: RequestContext, res: ClientResponse, status: number, reason: string): void {
    this.finish(ctx, { elbStatus: status, sentBytes: sendElbError(res, status), errorReason: reason });
  }
}

/** The end of a request: its metrics and, when the load balancer logs, its access log line. */
function recordOutcome(
  resources: SystemResources,
  ctx: RequestContext,
  result: ForwardResult,
  sentAt: number | undefined,
): void {
  const end = resources.now();
  const elbStatus = result.clientClosed ? 460 : (result.elbStatus ?? result.targetStatus ?? 0);
  resources.metrics.request(
    ctx.lb,
    ctx.group?.config,
    result.elbStatus,
    result.targetStatus,
    result.targetMs === undefined ? undefined : result.targetMs / 1000,
    result.connectionError === true,
  );
  // As in AWS, a load balancer logs requests when its access_logs.s3.enabled attribute is on.
  if (!ctx.lb.accessLogs && !resources.options.logEveryLoadBalancer) return;
  const req = ctx.req;
  const targetTime = sentAt !== undefined && result.targetStatus !== undefined ? (end - sentAt) / 1000 : -1;
  resources.accessLog.write({
    time: end,
    elb: ctx.lb.dimension,
    client: `${ctx.clientIp}:${req.socket.remotePort ?? 0}`,
    target: ctx.target ? `${ctx.target.host}:${ctx.target.port}` : "-",
    requestProcessingTime: ((sentAt ?? end) - ctx.started) / 1000,
    targetProcessingTime: targetTime,
    responseProcessingTime: targetTime === -1 ? -1 : 0,
    elbStatusCode: elbStatus,
    targetStatusCode: result.targetStatus,
    receivedBytes: Number(req.headers["content-length"] ?? 0),
    sentBytes: result.sentBytes,
    request: `${req.method} ${ctx.listener.protocolLower}://${req.headers.host ?? "-"}${req.url} HTTP/${req.httpVersion}`,
    userAgent: req.headers["user-agent"] ?? "-",
    targetGroupArn: ctx.group?.config.arn ?? "-",
    traceId: `Root=${ctx.traceId}`,
    domainName: "-",
    matchedRulePriority: ctx.rulePriority,
    requestCreationTime: ctx.started,
    actionsExecuted: ctx.action,
    redirectUrl: ctx.redirect,
    errorReason: result.errorReason ?? "-",
    classification: ctx.classification,
    classificationReason: ctx.classificationReason,
    tls: req.socket instanceof TLSSocket ? tlsFields(req.socket) : undefined,
    http2: req.httpVersionMajor === 2,
  });
}

/** ALB's ssl_cipher and ssl_protocol: OpenSSL's names (ECDHE-RSA-AES128-GCM-SHA256, TLSv1.2). */
function tlsFields(socket: TLSSocket): { cipher: string; protocol: string } {
  return { cipher: socket.getCipher().name, protocol: socket.getProtocol() ?? "-" };
}
