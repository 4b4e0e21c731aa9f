import { type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { connectionListed, hopByHop, sendElbError } from "./forward.ts";
import { forwardHead } from "./forwarding.ts";
import type { RequestContext, RequestOutcomes } from "./request-context.ts";
import type { SystemResources } from "./resources.ts";
import { targetCookie } from "./stickiness.ts";
import { UpstreamError } from "./upstream.ts";

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
    res: ServerResponse,
    client: Socket,
    clientHead: Buffer,
    cookies: Array<[string, string]>,
  ): void {
    const target = ctx.target;
    const group = ctx.group;
    if (!target || !group) return;
    const resources = this.resources;
    const cookie = targetCookie(group, target, resources.now());
    if (cookie !== undefined) cookies.push(["set-cookie", cookie]);
    const lines = forwardHead(ctx, true).split("\r\n");
    const headers: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? "";
      const colon = line.indexOf(": ");
      if (colon > 0) headers.push(line.slice(0, colon), line.slice(colon + 2));
    }
    const sentAt = resources.now();
    let tunnelled: Socket | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      target.outstanding--;
      target.inflight.delete(handle);
      if (target.state === "draining" && target.outstanding === 0) this.drained();
    };
    const fail = (status: number, reason: string, connectionError: boolean) => {
      release();
      this.outcomes.finish(
        ctx,
        { elbStatus: status, sentBytes: sendElbError(res, status), errorReason: reason, connectionError },
        sentAt,
      );
    };
    const upstream = request({
      host: target.host,
      port: target.port,
      method: ctx.req.method,
      path: ctx.forwardTarget,
      headers,
      setHost: false,
      agent: false,
      timeout: ctx.lb.idleTimeoutMs,
    });
    const handle = {
      abort(error: UpstreamError): void {
        if (tunnelled) {
          tunnelled.destroy();
          client.destroy();
        } else upstream.destroy(error);
      },
    };
    target.outstanding++;
    target.inflight.add(handle);

    upstream.on("upgrade", (answer: IncomingMessage, socket: Socket, head: Buffer) => {
      tunnelled = socket;
      res.detachSocket(client);
      let text = `HTTP/1.1 101 ${answer.statusMessage ?? "Switching Protocols"}\r\n`;
      const raw = answer.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
      for (const [name, value] of cookies) text += `${name}: ${value}\r\n`;
      client.write(`${text}\r\n`);
      if (head.length > 0) client.write(head);
      if (clientHead.length > 0) socket.write(clientHead);
      socket.on("error", () => client.destroy());
      client.on("error", () => socket.destroy());
      // Nothing moving either way for the idle timeout ends the tunnel, as ALB's does.
      client.setTimeout(ctx.lb.idleTimeoutMs, () => client.destroy());
      socket.setTimeout(0);
      socket.on("close", () => {
        release();
        client.destroy();
      });
      client.on("close", () => {
        release();
        socket.destroy();
      });
      socket.pipe(client);
      client.pipe(socket);
      target.recordLatency(resources.now() - sentAt, resources.now());
      this.outcomes.finish(
        ctx,
        { targetStatus: 101, sentBytes: 0, targetMs: resources.now() - sentAt },
        sentAt,
      );
    });

    upstream.on("response", (answer: IncomingMessage) => {
      // The target did not switch: an ordinary response, and the client's connection closes after it.
      const relayed: Record<string, string | string[]> = {};
      const listed = connectionListed(answer.headers.connection);
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || hopByHop.has(name) || listed?.has(name)) continue;
        relayed[name] = value;
      }
      for (const [name, value] of cookies) {
        const existing = relayed[name];
        relayed[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
      }
      const status = answer.statusCode ?? 502;
      try {
        res.writeHead(status, relayed);
      } catch {
        answer.destroy();
        fail(502, "TargetResponseInvalid", false);
        return;
      }
      let sent = 0;
      answer.on("data", (chunk: Buffer) => {
        sent += chunk.length;
      });
      answer.pipe(res);
      answer.on("end", () => {
        release();
        this.outcomes.finish(ctx, { targetStatus: status, sentBytes: sent }, sentAt);
      });
      answer.on("error", () => {
        release();
        res.destroy();
        this.outcomes.finish(
          ctx,
          { targetStatus: status, sentBytes: sent, errorReason: "TargetConnectionReset" },
          sentAt,
        );
      });
    });

    upstream.on("timeout", () =>
      upstream.destroy(new UpstreamError("IDLE_TIMEOUT", "no answer to the upgrade")),
    );
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (tunnelled || ctx.finished) return;
      if (error instanceof UpstreamError && error.code === "IDLE_TIMEOUT")
        fail(504, "TargetResponseTimeout", false);
      else if (error instanceof UpstreamError && error.code === "TARGET_DEREGISTERED")
        fail(502, "TargetDeregistered", false);
      else if (error.code === "ECONNREFUSED") fail(502, "TargetConnectionRefused", true);
      else fail(502, "TargetConnectionReset", false);
    });
    // The client left before the target answered.
    client.once("close", () => {
      if (tunnelled || ctx.finished) return;
      upstream.destroy();
      release();
      this.outcomes.finish(ctx, { clientClosed: true, sentBytes: 0, errorReason: "ClientClosed" }, sentAt);
    });
    upstream.end();
  }
}
