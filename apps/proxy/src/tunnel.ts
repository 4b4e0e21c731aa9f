import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { request as requestTls } from "node:https";
import type { Socket } from "node:net";
import type { ClientResponse } from "./client-messages.ts";
import { connectionListed, type ForwardResult, hopByHop, sendElbError } from "./forward.ts";
import { forwardHead } from "./forwarding.ts";
import type { InflightLink } from "./inflight-list.ts";
import type { RequestContext, RequestOutcomes } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import { applicationCookie, bindApplicationCookie, targetCookie } from "./stickiness.ts";
import type { InflightEntry, TargetState } from "./targets.ts";
import { UpstreamError } from "./upstream/errors.ts";

/**
 * An upgrade the router sent to a target: the request goes out with the same forwarded head as a plain
 * one (plus Upgrade), and the byte tunnel opens only when the target answers 101. Any other answer is
 * relayed as a normal response, after which the client's connection closes. A tunnel counts as a request
 * in flight on its target until either side closes, so the deregistration delay ends it.
 *
 * Upgrades are rare next to plain requests, so this uses node:http's client (one connection per upgrade,
 * its parser telling a 101 from any other answer) rather than the keep-alive pool.
 */
export class Tunnel {
  constructor(
    private readonly resources: SystemResources,
    private readonly outcomes: RequestOutcomes,
    private readonly drained: () => void,
  ) {}

  open(
    ctx: RequestContext,
    res: ClientResponse,
    client: Socket,
    clientHead: Buffer,
    cookies: Array<[string, string]>,
  ): void {
    const target = ctx.target;
    const group = ctx.group;
    if (!target || !group) return;
    const cookie = targetCookie(group, target, this.resources.now());
    if (cookie !== undefined) cookies.push(["set-cookie", cookie]);
    bindApplicationCookie(res, group, ctx, this.resources.now);
    new Upgrade(this.resources, this.outcomes, this.drained, ctx, target, res, client, clientHead, cookies);
  }
}

/** One upgrade on its way: waiting for the target's answer, then a tunnel or a relayed response. */
class Upgrade {
  private readonly upstream: ClientRequest;
  private readonly sentAt: number;
  private tunnelled: Socket | undefined;
  private released = false;
  private inflight: InflightLink<InflightEntry> | undefined;

  constructor(
    private readonly resources: SystemResources,
    private readonly outcomes: RequestOutcomes,
    private readonly drained: () => void,
    private readonly ctx: RequestContext,
    private readonly target: TargetState,
    private readonly res: ClientResponse,
    private readonly client: Socket,
    private readonly clientHead: Buffer,
    private readonly cookies: Array<[string, string]>,
  ) {
    // The same head a plain request gets, as the name/value list node:http's client takes.
    const lines = forwardHead(ctx, true).split("\r\n");
    const headers: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      const colon = line.indexOf(": ");
      if (colon > 0) headers.push(line.slice(0, colon), line.slice(colon + 2));
    }
    this.sentAt = resources.now();
    // An HTTPS target group's upgrade goes over TLS, unverified as ALB's connections to targets are.
    const send = target.pool.tls ? requestTls : request;
    this.upstream = send({
      host: target.host,
      rejectUnauthorized: false,
      port: target.port,
      method: ctx.req.method,
      path: ctx.forwardTarget,
      headers,
      setHost: false,
      agent: false,
      timeout: ctx.lb.idleTimeoutMs,
    });
    target.outstanding++;
    this.inflight = target.inflight.add(this);
    // Each listener runs on a socket's event: an exception ends this upgrade alone, never the process.
    this.upstream.on("upgrade", (answer: IncomingMessage, socket: Socket, head: Buffer) => {
      try {
        this.switched(answer, socket, head);
      } catch (error) {
        socket.destroy();
        this.crashed(error);
      }
    });
    this.upstream.on("response", (answer: IncomingMessage) => {
      try {
        this.relay(answer);
      } catch (error) {
        answer.destroy();
        this.crashed(error);
      }
    });
    this.upstream.on("timeout", () =>
      this.upstream.destroy(new UpstreamError("IDLE_TIMEOUT", "no answer to the upgrade")),
    );
    this.upstream.on("error", (error: NodeJS.ErrnoException) => this.failed(error));
    client.once("close", () => {
      // The client left before the target answered (or while its answer was relayed).
      if (this.tunnelled || ctx.finished) return;
      this.upstream.destroy();
      this.finish({ clientClosed: true, sentBytes: 0, errorReason: "ClientClosed" });
    });
    this.upstream.end();
  }

  /** The deregistration delay ran out: the tunnel (or the pending upgrade) ends. */
  abort(error: UpstreamError): void {
    if (this.tunnelled) {
      this.tunnelled.destroy();
      this.client.destroy();
    } else this.upstream.destroy(error);
  }

  /** 101: the client gets the target's answer as is, plus stickiness cookies, and bytes flow both ways. */
  private switched(answer: IncomingMessage, socket: Socket, head: Buffer): void {
    const client = this.client;
    this.tunnelled = socket;
    // The response on the client's socket is left unwritten: the target's 101 goes out as it came.
    let text = `HTTP/1.1 101 ${answer.statusMessage ?? "Switching Protocols"}\r\n`;
    const raw = answer.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    for (const [name, value] of this.cookies) text += `${name}: ${value}\r\n`;
    const group = this.ctx.group;
    const setCookies = answer.headers["set-cookie"];
    if (group && setCookies) {
      const cookie = applicationCookie(group, this.target, setCookies, this.resources.now());
      if (cookie !== undefined) text += `set-cookie: ${cookie}\r\n`;
    }
    client.write(`${text}\r\n`);
    if (head.length > 0) client.write(head);
    if (this.clientHead.length > 0) socket.write(this.clientHead);
    socket.on("error", () => client.destroy());
    client.on("error", () => socket.destroy());
    // Nothing moving either way for the idle timeout ends the tunnel, as ALB's does.
    client.setTimeout(this.ctx.lb.idleTimeoutMs, () => client.destroy());
    socket.setTimeout(0);
    socket.on("close", () => {
      this.release();
      client.destroy();
    });
    client.on("close", () => {
      this.release();
      socket.destroy();
    });
    socket.pipe(client);
    client.pipe(socket);
    const now = this.resources.now();
    this.target.recordLatency(now - this.sentAt, now);
    this.outcomes.finish(
      this.ctx,
      { targetStatus: 101, sentBytes: 0, targetMs: now - this.sentAt },
      this.sentAt,
    );
  }

  /** Not 101: an ordinary response; the response says `connection: close` and the socket ends after it. */
  private relay(answer: IncomingMessage): void {
    const relayed: Record<string, string | string[]> = {};
    const listed = connectionListed(answer.headers.connection);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined || hopByHop.has(name) || listed?.has(name)) continue;
      relayed[name] = value;
    }
    for (const [name, value] of this.cookies) {
      const existing = relayed[name];
      relayed[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
    }
    const status = answer.statusCode ?? 502;
    try {
      this.res.writeHead(status, relayed);
    } catch {
      // A head node:http will not send: the target's response is invalid, as on the plain path.
      answer.destroy();
      this.upstream.destroy();
      this.answerError(502, "TargetResponseInvalid", false);
      return;
    }
    let sent = 0;
    const res = this.res;
    // The body with backpressure: the target's answer pauses while the client's buffer is full.
    answer.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (res.write(chunk)) return;
      answer.pause();
      res.once("drain", () => answer.resume());
    });
    answer.on("end", () => {
      res.end();
      this.finish({ targetStatus: status, sentBytes: sent });
    });
    answer.on("error", () => {
      this.res.destroy();
      this.finish({ targetStatus: status, sentBytes: sent, errorReason: "TargetConnectionReset" });
    });
  }

  private failed(error: NodeJS.ErrnoException): void {
    if (this.tunnelled || this.ctx.finished) return;
    const code = error.code;
    if (code === "IDLE_TIMEOUT") this.answerError(504, "TargetResponseTimeout", false);
    else if (code === "TARGET_DEREGISTERED") this.answerError(502, "TargetDeregistered", false);
    else if (code === "ECONNREFUSED") this.answerError(502, "TargetConnectionRefused", true);
    else this.answerError(502, "TargetConnectionReset", false);
  }

  private crashed(error: unknown): void {
    this.resources.log.error(`upgrade ${this.ctx.traceId} failed inside the proxy`, error);
    this.upstream.destroy();
    this.client.destroy();
    this.finish({ elbStatus: 500, sentBytes: 0, errorReason: "InternalError" });
  }

  private answerError(status: number, reason: string, connectionError: boolean): void {
    const sentBytes = sendElbError(this.res, status);
    this.finish({ elbStatus: status, sentBytes, errorReason: reason, connectionError });
  }

  private finish(result: ForwardResult): void {
    this.release();
    this.outcomes.finish(this.ctx, result, this.sentAt);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.target.outstanding--;
    this.target.inflight.remove(this.inflight);
    if (this.target.state === "draining" && this.target.outstanding === 0) this.drained();
  }
}
