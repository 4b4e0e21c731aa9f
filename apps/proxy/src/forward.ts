import type { IncomingMessage, ServerResponse } from "node:http";
import { type Exchange, type ResponseSink, UpstreamError } from "./upstream.ts";

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
  // Node's server has already answered the client's 100-continue itself.
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
export const deregistrationElapsed = (): UpstreamError =>
  new UpstreamError("TARGET_DEREGISTERED", "the deregistration delay elapsed");

/** ALB's answer and error reason for each way a target can fail a request. */
function classify(error: UpstreamError): { status: number; reason: string; connection: boolean } {
  switch (error.code) {
    case "CONNECT_TIMEOUT":
      return { status: 504, reason: "TargetConnectionTimeout", connection: true };
    case "IDLE_TIMEOUT":
      return { status: 504, reason: "TargetResponseTimeout", connection: false };
    case "TARGET_DEREGISTERED":
      return { status: 502, reason: "TargetDeregistered", connection: false };
    case "ECONNREFUSED":
      return { status: 502, reason: "TargetConnectionRefused", connection: true };
    case "INVALID_RESPONSE":
      return { status: 502, reason: "TargetResponseInvalid", connection: false };
    default:
      return { status: 502, reason: "TargetConnectionReset", connection: false };
  }
}

/**
 * The client's side of one forwarded request: streams the target's response to the client with
 * backpressure (the target's socket pauses while the client's buffer is full), and turns failures before
 * the response began into the load balancer's own 502/504.
 */
export class ForwardHandler implements ResponseSink {
  exchange: Exchange | undefined;
  private started = false;
  private sent = 0;
  private readonly begin = performance.now();
  private targetMs: number | undefined;
  private closed = false;
  private finished = false;
  private readonly onClientClose = () => {
    if (!this.finished && !this.res.writableFinished) {
      this.closed = true;
      this.exchange?.abort(new UpstreamError("CLIENT_CLOSED", "the client closed the connection"));
    }
  };
  private readonly onDrain = () => this.exchange?.resume();

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Extra response headers (stickiness cookies). */
    private readonly extraHeaders: Array<[string, string]>,
    private readonly done: (result: ForwardResult) => void,
  ) {
    res.once("close", this.onClientClose);
  }

  /** Ends the request on the load balancer's side (a drained target's delay ran out): 502, as ALB answers. */
  abort(error: UpstreamError): void {
    this.exchange?.abort(error);
  }

  onResponseStart(statusCode: number, headers: Record<string, string | string[]>): void {
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
    try {
      this.res.writeHead(statusCode, headers);
    } catch (error) {
      // node:http refuses what it cannot send (a control character in a value, a bad name): that is the
      // target's invalid response, answered 502 like any other, never an exception in the socket's listener.
      this.started = false;
      this.exchange?.abort(
        new UpstreamError(
          "INVALID_RESPONSE",
          `the target's response head cannot be relayed: ${String(error)}`,
        ),
      );
    }
  }

  onResponseData(chunk: Buffer): boolean {
    if (!this.started) return true;
    this.sent += chunk.length;
    if (this.res.write(chunk)) return true;
    this.res.once("drain", this.onDrain);
    return false;
  }

  onResponseEnd(): void {
    this.finished = true;
    this.res.end();
    this.done({
      targetStatus: this.res.statusCode,
      sentBytes: this.sent,
      ...(this.targetMs !== undefined && { targetMs: this.targetMs }),
    });
  }

  onResponseError(error: UpstreamError, sent: boolean): void {
    this.finished = true;
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
    this.done({
      elbStatus: failure.status,
      connectionError: failure.connection,
      // Refused before a byte went out and the client's body untouched: another target may take it.
      retryable: error.code === "ECONNREFUSED" && !sent && !this.req.readableDidRead,
      errorReason: failure.reason,
      sentBytes: 0,
    });
  }
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

const statusText: Record<number, string> = {
  400: "Bad Request",
  414: "Request-URI Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  460: "Client Closed Request",
  463: "Bad Request",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out",
  505: "HTTP Version Not Supported",
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
