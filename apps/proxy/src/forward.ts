import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";

/** Headers that describe one connection, not the message: never forwarded in either direction (RFC 9110 7.6.1). */
export const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  // undici refuses it; node's server has already answered 100-continue to the client.
  "expect",
]);

/**
 * Header names a Connection header lists are hop-by-hop too (RFC 9110 7.6.1); answers them lower-cased,
 * or undefined when it lists nothing beyond the usual tokens.
 */
export function connectionListed(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  let listed: Set<string> | undefined;
  for (const token of String(connection).split(",")) {
    const name = token.trim().toLowerCase();
    if (name === "" || name === "keep-alive" || name === "close" || name === "upgrade") continue;
    listed ??= new Set();
    listed.add(name);
  }
  return listed;
}

/** How a forwarded request ended, for metrics and the access log. */
export interface ForwardResult {
  /** The target's status, when it answered. */
  targetStatus?: number;
  /** The status the load balancer answered itself (502, 504), when the target did not. */
  elbStatus?: number;
  /** The client went away first (ALB logs 460). */
  clientClosed?: boolean;
  connectionError?: boolean;
  /** Connection refused before any byte was sent: the caller may retry on another target. */
  retryable?: boolean;
  errorReason?: string;
  sentBytes: number;
  /** ms from dispatch to the response headers. */
  targetMs?: number;
}

/** The error a request still in flight on a target gets when its deregistration delay runs out. */
const deregisteredCode = "SCALEOUT_TARGET_DEREGISTERED";
export const deregistrationElapsed = (): Error =>
  Object.assign(new Error("the deregistration delay elapsed"), { code: deregisteredCode });

function classify(error: Error & { code?: string }): {
  status: number;
  reason: string;
  connection: boolean;
  refused: boolean;
} {
  const code = error.code ?? "";
  if (code === "UND_ERR_CONNECT_TIMEOUT")
    return { status: 504, reason: "TargetConnectionTimeout", connection: true, refused: false };
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return { status: 504, reason: "TargetResponseTimeout", connection: false, refused: false };
  }
  if (code === deregisteredCode)
    return { status: 502, reason: "TargetDeregistered", connection: false, refused: false };
  if (code === "ECONNREFUSED")
    return { status: 502, reason: "TargetConnectionRefused", connection: true, refused: true };
  if (code.startsWith("HPE_") || error.name === "HTTPParserError") {
    return { status: 502, reason: "TargetResponseInvalid", connection: false, refused: false };
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") {
    return { status: 502, reason: "TargetConnectionReset", connection: false, refused: false };
  }
  return { status: 502, reason: `TargetError:${code || error.name}`, connection: false, refused: false };
}

/**
 * undici's dispatch handler for one forwarded request: streams the target's response to the client
 * with backpressure (pause the target when the client's buffer is full), and turns failures before the
 * response began into the load balancer's own 502/504.
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private started = false;
  private sent = 0;
  private readonly begin = performance.now();
  private targetMs: number | undefined;
  private closed = false;
  private abortedWith: Error | undefined;
  private readonly onClientClose = () => {
    if (!this.res.writableFinished) {
      this.closed = true;
      this.controller?.abort(new Error("client closed the connection"));
    }
  };

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Extra response headers (stickiness cookies). */
    private readonly extraHeaders: Array<[string, string]>,
    private readonly done: (result: ForwardResult) => void,
  ) {
    res.once("close", this.onClientClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.closed) controller.abort(new Error("client closed the connection"));
    else if (this.abortedWith) controller.abort(this.abortedWith);
  }

  /** Ends the request on the load balancer's side (a drained target's delay ran out): 502, as ALB answers. */
  abort(error: Error): void {
    this.abortedWith = error;
    this.controller?.abort(error);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.controller = controller;
    if (statusCode < 200) return; // 1xx: node's server handles 100-continue with the client itself
    this.started = true;
    this.targetMs = performance.now() - this.begin;
    const listed = connectionListed(headers.connection);
    for (const name of Object.keys(headers))
      if (hopByHop.has(name) || listed?.has(name)) delete headers[name];
    for (const [name, value] of this.extraHeaders) {
      const existing = headers[name];
      headers[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
    }
    // Status line, headers and (for small responses) the body and its end leave in one write.
    this.res.cork();
    process.nextTick(uncork, this.res);
    this.res.writeHead(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.sent += chunk.length;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.off("close", this.onClientClose);
    this.res.end();
    this.done({
      targetStatus: this.res.statusCode,
      sentBytes: this.sent,
      ...(this.targetMs !== undefined && { targetMs: this.targetMs }),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.res.off("close", this.onClientClose);
    if (this.closed) {
      this.done({ clientClosed: true, sentBytes: this.sent, errorReason: "ClientClosed" });
      return;
    }
    const failure = classify(error);
    if (this.started) {
      // Mid-response: the status line is gone; all that is left is to cut the client off.
      this.res.destroy();
      this.done({
        targetStatus: this.res.statusCode,
        sentBytes: this.sent,
        errorReason: failure.reason,
        ...(this.targetMs !== undefined && { targetMs: this.targetMs }),
      });
      return;
    }
    const retryable = failure.refused && !this.req.readableDidRead;
    this.done({
      elbStatus: failure.status,
      connectionError: failure.connection,
      retryable,
      errorReason: failure.reason,
      sentBytes: 0,
    });
  }
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

const statusText: Record<number, string> = {
  460: "Client Closed Request",
  463: "Bad Request",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out",
};

/** The load balancer's own error page, as ALB answers it (Server: awselb/2.0, a small HTML body). */
export function sendElbError(res: ServerResponse, status: number): number {
  const title = `${status} ${statusText[status] ?? "Error"}`;
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  res.writeHead(status, {
    server: "awselb/2.0",
    "content-type": "text/html",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
  return body.length;
}
