import { type ClientRequest, type ClientResponse, cutShort } from "./client-messages.ts";
import type { InflightLink } from "./inflight-list.ts";
import type { RequestContext } from "./request-context.ts";
import type { InflightEntry, TargetState } from "./targets.ts";
import type { Exchange, ResponseSink } from "./upstream/connection.ts";
import { UpstreamError } from "./upstream/errors.ts";

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
  // The usual value, one of the usual tokens alone, costs no split (this runs twice per request).
  if (typeof connection === "string" && connection.length <= 10) {
    const lower = connection.toLowerCase();
    if (lower === "keep-alive" || lower === "close" || lower === "upgrade") return undefined;
  }
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
    case "POOL_EXHAUSTED":
      // Every connection to the target stayed busy past the queue timeout: the request fails alone, as
      // ALB answers when it cannot take a request on (docs/aws-differences.md).
      return { status: 503, reason: "TargetCapacityExceeded", connection: false };
    default:
      return { status: 502, reason: "TargetConnectionReset", connection: false };
  }
}

/** Who hears how a forwarded request ended: one object for all requests, no closure per request. */
export interface ForwardOwner {
  forwarded(handler: ForwardHandler, result: ForwardResult): void;
}

/** A last body chunk up to this size is sent as a string joined to the head; larger ones as they are. */
const joinedBodyBytes = 16 * 1024;

/** Where a response's ForwardHandler is found by the one 'close' listener all responses share. */
const handlerOf = Symbol("scaleout.forwardHandler");
type HandledResponse = ClientResponse & { [handlerOf]?: ForwardHandler };

function onClientClose(this: ClientResponse): void {
  (this as HandledResponse)[handlerOf]?.clientClosed();
}

/**
 * The client's side of one forwarded request: streams the target's response to the client with
 * backpressure (the target's socket pauses while the client's buffer is full), and turns failures before
 * the response began into the load balancer's own 502/504. `ctx` and `target` are the owner's, carried
 * here so that the end of a request needs no closure of its own.
 */
export class ForwardHandler implements ResponseSink {
  exchange: Exchange | undefined = undefined;
  /** Its place in the target's in-flight list (Forwarding adds and removes it). */
  inflight: InflightLink<InflightEntry> | undefined = undefined;
  private started = false;
  private sent = 0;
  private readonly begin = performance.now();
  /** ms from dispatch to the response head; -1 until it came. */
  private targetMs = -1;
  private closed = false;
  private finished = false;
  /** The client's response is corked since its head: head and body leave in one write. */
  private corked = false;
  /** The response was ended with its last body bytes (`res.end(chunk)`). */
  private ended = false;
  /** Made on the first backpressure only: most responses never fill the client's buffer. */
  private onDrain: (() => void) | undefined = undefined;

  constructor(
    readonly req: ClientRequest,
    readonly res: ClientResponse,
    /** Extra response headers: the group stickiness cookie, kept as it is for a retry on another target. */
    readonly cookies: Array<[string, string]>,
    /** This target's stickiness cookie (AWSALB), when the group has one. */
    private readonly targetCookie: string | undefined,
    private readonly owner: ForwardOwner,
    readonly ctx: RequestContext,
    readonly target: TargetState,
    /** This is the second target tried: a refused connection is not tried again. */
    readonly retried: boolean,
    /** The clock's time at dispatch (the access log's request/target processing split). */
    readonly sentAt: number,
  ) {
    // 'close' comes once per response: `on` spares the wrapper `once` would allocate, and one shared
    // listener finds its handler on the response, so no closure is made per request.
    (res as HandledResponse)[handlerOf] = this;
    res.on("close", onClientClose);
  }

  /** The client's response closed: if that was before the end, the client left and the exchange stops. */
  clientClosed(): void {
    if (!this.finished && !this.res.writableFinished) {
      this.closed = true;
      this.exchange?.abort(new UpstreamError("CLIENT_CLOSED", "the client closed the connection"));
    }
  }

  /** Ends the request on the load balancer's side (a drained target's delay ran out): 502, as ALB answers. */
  abort(error: UpstreamError): void {
    this.exchange?.abort(error);
  }

  onResponseStart(statusCode: number, fields: string[], connection: string): void {
    this.started = true;
    this.targetMs = performance.now() - this.begin;
    const listed = connection === "" ? undefined : connectionListed(connection);
    // The parser's flat [name, value, ...] list goes to writeHead as it is (node:http writes a list as it
    // comes), hop-by-hop fields taken out in place: no second list per response.
    const relayed = fields;
    let kept = 0;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i] as string;
      if (hopByHop.has(name) || listed?.has(name)) continue;
      if (kept !== i) {
        relayed[kept] = name;
        relayed[kept + 1] = fields[i + 1] as string;
      }
      kept += 2;
    }
    relayed.length = kept;
    for (const [name, value] of this.cookies) relayed.push(name, value);
    if (this.targetCookie !== undefined) relayed.push("set-cookie", this.targetCookie);
    // Status line, headers and (for small responses) the body and its end leave in one write: uncorked
    // when the response ends, or when the read that carried the head has been relayed.
    this.res.cork();
    this.corked = true;
    try {
      this.res.writeHead(statusCode, relayed);
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

  onResponseData(chunk: Buffer, last: boolean, done?: () => void): boolean {
    if (!this.started) {
      done?.();
      return true;
    }
    this.sent += chunk.length;
    // The read buffer goes back once node:http's socket has written the bytes (the write's callback).
    // An HTTP/2 stream's writes complete on the session's terms: its chunks never give it back.
    const written = this.res.stream === undefined ? done : undefined;
    if (last) {
      // The body's last bytes end the response in the same call: node:http then writes them with the
      // head and attaches 'finish' to that write (no empty final write, no extra tick). A small body goes
      // as a latin1 string (byte for byte), which node:http joins to the head: one string, one write.
      this.ended = true;
      if (chunk.length <= joinedBodyBytes) {
        this.res.end(chunk.toString("latin1"), "latin1");
        done?.();
      } else if (written) this.res.end(chunk, written);
      else this.res.end(chunk);
      return true;
    }
    if (written ? this.res.write(chunk, written) : this.res.write(chunk)) return true;
    this.onDrain ??= () => this.exchange?.resume();
    this.res.once("drain", this.onDrain);
    return false;
  }

  onReadRelayed(): void {
    this.uncork();
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  }

  onResponseEnd(): void {
    this.finished = true;
    if (!this.ended) this.res.end();
    this.uncork();
    // One literal with every field: a property added afterwards would give results two shapes.
    const result: ForwardResult = {
      targetStatus: this.res.statusCode,
      sentBytes: this.sent,
      targetMs: this.targetMs === -1 ? undefined : this.targetMs,
    };
    this.owner.forwarded(this, result);
  }

  onResponseError(error: UpstreamError, sent: boolean): void {
    this.finished = true;
    const wasCorked = this.corked;
    this.corked = false;
    if (this.closed) {
      this.owner.forwarded(this, { clientClosed: true, sentBytes: this.sent, errorReason: "ClientClosed" });
      return;
    }
    const failure = classify(error);
    if (this.started) {
      // Mid-response: the status line is gone; all that is left is to cut the client off, after what was
      // relayed so far (still corked) has gone out, so the client sees a response that stops short.
      // node:http writes a head lazily, with the first body bytes: without any, it would never leave.
      if (this.sent === 0) this.res.flushHeaders();
      if (wasCorked) this.res.uncork();
      cutShort(this.res);
      const result: ForwardResult = {
        targetStatus: this.res.statusCode,
        sentBytes: this.sent,
        errorReason: failure.reason,
      };
      if (this.targetMs !== -1) result.targetMs = this.targetMs;
      this.owner.forwarded(this, result);
      return;
    }
    // The head node:http refused (writeHead threw) left the response corked: the error page must go out.
    if (wasCorked) this.res.uncork();
    this.owner.forwarded(this, {
      elbStatus: failure.status,
      connectionError: failure.connection,
      // Refused before a byte went out and the client's body still whole (read ahead, not streamed):
      // another target may take it.
      retryable:
        error.code === "ECONNREFUSED" && !sent && (this.exchange?.replayable ?? !this.req.readableDidRead),
      errorReason: failure.reason,
      sentBytes: 0,
    });
  }
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
export function sendElbError(res: ClientResponse, status: number): number {
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
