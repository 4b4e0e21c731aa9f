import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Action, RequestFacts } from "@scaleout/core";
import { type Db, recordSamples, schema } from "@scaleout/db";
import { and, eq, ne } from "drizzle-orm";
import type { AccessLog } from "./access-log.ts";
import {
  connectionListed,
  deregistrationElapsed,
  ForwardHandler,
  type ForwardResult,
  hopByHop,
  sendElbError,
} from "./forward.ts";
import { applyCheck, checkTarget } from "./health-checks.ts";
import { MetricsAggregator } from "./metrics.ts";
import {
  type ListenerConfig,
  type LoadBalancerConfig,
  loadSnapshot,
  type Snapshot,
  type TargetGroupConfig,
} from "./snapshot.ts";
import { PoolRegistry, TargetGroupRuntime, TargetState } from "./targets.ts";

export interface ProxyOptions {
  db: Db;
  bindHost: string;
  accessLog: AccessLog;
  /** Log every load balancer's requests, whatever its access_logs.s3.enabled attribute says. */
  logEveryLoadBalancer?: boolean;
  log: Pick<Console, "info" | "warn" | "error">;
  /** ALB's connect timeout to targets is 10 s. */
  connectTimeoutMs?: number;
  /** Keep-alive connections per target. */
  connectionsPerTarget?: number;
}

interface Binding {
  server: Server;
  state: "binding" | "bound" | "failed";
}

const stickyCookie = "AWSALB";
const appStickyCookie = "AWSALBAPP-0";
const groupStickyCookie = "AWSALBTG";
const maxForwardedFor = 30;
const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const encodeCookie = (value: string) => Buffer.from(value, "utf8").toString("base64url");
const decodeCookie = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, "base64url").toString("utf8");

function cookieHeader(name: string, value: string, durationSeconds: number): string {
  return `${name}=${value}; Expires=${new Date(Date.now() + durationSeconds * 1000).toUTCString()}; Path=/`;
}

/** X-Amzn-Trace-Id roots: `1-<epoch seconds, 8 hex>-<24 hex>`; a per-process random prefix and a counter keep it cheap. */
const tracePrefix = randomBytes(6).toString("hex");
let traceCounter = 0;
function newTraceId(): string {
  traceCounter = (traceCounter + 1) % 0xffffffffffff;
  return `1-${Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0")}-${tracePrefix}${traceCounter.toString(16).padStart(12, "0")}`;
}

/** Where a redirect action sends a request: #{protocol}, #{host}, #{port}, #{path}, #{query} replaced by the request's parts. */
export function redirectLocation(
  config: NonNullable<Action["redirectConfig"]>,
  request: { protocol: string; host: string; port: number; path: string; query: string },
): string {
  const fill = (template: string) =>
    template
      .replaceAll("#{protocol}", request.protocol)
      .replaceAll("#{host}", request.host)
      .replaceAll("#{port}", String(request.port))
      .replaceAll("#{path}", request.path.replace(/^\//, ""))
      .replaceAll("#{query}", request.query);
  const protocol = fill(config.protocol ?? "#{protocol}").toLowerCase();
  const host = fill(config.host ?? "#{host}");
  const port = fill(config.port ?? "#{port}");
  const path = fill(config.path ?? "/#{path}");
  const query = fill(config.query ?? "#{query}");
  const defaultPort = (protocol === "http" && port === "80") || (protocol === "https" && port === "443");
  return `${protocol}://${host}${defaultPort ? "" : `:${port}`}${path.startsWith("/") ? path : `/${path}`}${query ? `?${query}` : ""}`;
}

/**
 * The data plane: binds a server per listener, routes each request through the listener's rules,
 * balances over healthy targets, health-checks them, drains deregistered ones, and writes health
 * transitions and per-second metrics back to the registry.
 */
export class LoadBalancerProxy {
  private snapshot: Snapshot | undefined;
  private readonly bindings = new Map<number, Binding>();
  private readonly groups = new Map<string, TargetGroupRuntime>();
  private readonly pools: PoolRegistry;
  private readonly metrics = new MetricsAggregator();
  private readonly healthTimers = new Map<string, NodeJS.Timeout>();
  private timers: NodeJS.Timeout[] = [];
  private inflight = 0;
  private closing = false;

  constructor(private readonly options: ProxyOptions) {
    this.pools = new PoolRegistry({
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      connections: options.connectionsPerTarget ?? 256,
    });
  }

  get version(): number {
    return this.snapshot?.version ?? -1;
  }

  /** The ports currently bound (for tests and the banner). */
  boundPorts(): number[] {
    return [...this.bindings.entries()].filter(([, b]) => b.state === "bound").map(([port]) => port);
  }

  async start(): Promise<void> {
    await this.reload();
    this.timers.push(setInterval(() => this.flushMetrics(), 1000));
    this.timers.push(setInterval(() => this.sweepDraining(), 100));
    for (const timer of this.timers) timer.unref();
  }

  /**
   * Loads the registry and applies it. On failure (SQLite locked or unreadable) the last configuration
   * keeps serving; the next notification or poll tries again.
   */
  async reload(): Promise<boolean> {
    let next: Snapshot;
    try {
      next = loadSnapshot(this.options.db);
    } catch (error) {
      this.options.log.warn("could not read the registry; serving the last configuration", error);
      return false;
    }
    await this.apply(next);
    return true;
  }

  private async apply(next: Snapshot): Promise<void> {
    const now = Date.now();
    // Target groups and their targets, keeping run-time state of those that remain.
    for (const [arn, config] of next.targetGroups) {
      let runtime = this.groups.get(arn);
      if (!runtime) {
        runtime = new TargetGroupRuntime(config);
        this.groups.set(arn, runtime);
      }
      runtime.config = config;
      const seen = new Set<string>();
      for (const target of config.targets) {
        seen.add(target.key);
        if (target.drainDeadline !== null && target.drainDeadline <= now) continue;
        let state = runtime.targets.get(target.key);
        if (!state || state.host !== target.host) {
          if (state) this.pools.release(state.origin);
          state = new TargetState(target, this.pools.acquire(target.host, target.port));
          runtime.targets.set(target.key, state);
        } else if (target.state === "draining") {
          state.state = "draining";
          state.reason = target.reason;
          state.description = target.description;
          state.drainDeadline = target.drainDeadline;
        } else if (state.state === "draining") {
          // Registered again while draining: it starts over.
          Object.assign(state, {
            state: target.state,
            reason: target.reason,
            description: target.description,
            drainDeadline: null,
          });
          state.consecutivePasses = 0;
          state.consecutiveFails = 0;
        }
      }
      for (const [key, state] of runtime.targets) {
        if (!seen.has(key)) {
          runtime.targets.delete(key);
          this.pools.release(state.origin);
        }
      }
      runtime.invalidate();
      this.scheduleHealthChecks(runtime);
    }
    for (const [arn, runtime] of this.groups) {
      if (next.targetGroups.has(arn)) continue;
      this.groups.delete(arn);
      for (const state of runtime.targets.values()) this.pools.release(state.origin);
      this.stopHealthChecks(arn);
    }
    this.snapshot = next;
    await this.syncListeners(next);
  }

  // ---- Listeners -------------------------------------------------------------------------------

  private async syncListeners(snapshot: Snapshot): Promise<void> {
    const wanted = new Set(snapshot.listeners.keys());
    for (const [port, binding] of this.bindings) {
      if (wanted.has(port)) continue;
      this.bindings.delete(port);
      // Stop accepting; requests in flight finish, idle keep-alive connections close now.
      binding.server.close();
      binding.server.closeIdleConnections();
    }
    const binds: Array<Promise<void>> = [];
    for (const listener of snapshot.listeners.values()) {
      // A listener that could not bind (port taken) tries again on every reload until it can.
      if (this.bindings.get(listener.port)?.state === "failed") this.bindings.delete(listener.port);
      if (this.bindings.has(listener.port)) continue;
      binds.push(this.bind(listener));
    }
    await Promise.all(binds);
    this.markLoadBalancers(snapshot);
  }

  private bind(listener: ListenerConfig): Promise<void> {
    const port = listener.port;
    const server = createServer((req, res) => this.handle(req, res, port));
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head, port),
    );
    server.on("clientError", (_error, socket) => {
      if (socket.writable)
        socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      else socket.destroy();
    });
    const lb = this.snapshot?.loadBalancers.get(listener.loadBalancerArn);
    const idle = lb?.idleTimeoutMs ?? 60_000;
    server.keepAliveTimeout = idle;
    server.headersTimeout = idle + 1000;
    server.requestTimeout = 0;
    const binding: Binding = { server, state: "binding" };
    this.bindings.set(port, binding);
    return new Promise((resolve) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        binding.state = "failed";
        this.options.log.error(
          `listener ${listener.arn} cannot bind ${this.options.bindHost}:${port}: ${error.code ?? error.message}`,
        );
        resolve();
      });
      server.listen(port, this.options.bindHost, () => {
        binding.state = "bound";
        resolve();
      });
    });
  }

  /** provisioning → active once every listener of a load balancer is bound; active_impaired when one cannot be. */
  private markLoadBalancers(snapshot: Snapshot): void {
    for (const lb of snapshot.loadBalancers.values()) {
      const listeners = [...snapshot.listeners.values()].filter((l) => l.loadBalancerArn === lb.arn);
      const failed = listeners.some((l) => this.bindings.get(l.port)?.state === "failed");
      const state = failed ? "active_impaired" : "active";
      if (lb.state === state) continue;
      try {
        this.options.db
          .update(schema.loadBalancers)
          .set({ state })
          .where(eq(schema.loadBalancers.arn, lb.arn))
          .run();
        lb.state = state;
      } catch (error) {
        this.options.log.warn(`could not record load balancer ${lb.name} as ${state}`, error);
      }
    }
  }

  // ---- Requests --------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse, port: number): void {
    const snapshot = this.snapshot;
    const listener = snapshot?.listeners.get(port);
    const lb = listener ? snapshot?.loadBalancers.get(listener.loadBalancerArn) : undefined;
    if (!snapshot || !listener || !lb) {
      sendElbError(res, 503);
      return;
    }
    const started = Date.now();
    this.inflight++;
    const clientIp = clientAddress(req.socket);
    const xff = req.headers["x-forwarded-for"];
    const traceId = newTraceId();
    const entry = {
      lb,
      listener,
      clientIp,
      started,
      traceId,
      rulePriority: "-",
      action: "-",
      redirect: "-",
      targetGroup: undefined as TargetGroupConfig | undefined,
      target: undefined as TargetState | undefined,
    };
    if (typeof xff === "string" && xff.split(",").length > maxForwardedFor) {
      this.finish(req, entry, {
        elbStatus: 463,
        sentBytes: sendElbError(res, 463),
        errorReason: "TooManyForwardedForAddresses",
      });
      return;
    }

    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const hostHeader = req.headers.host ?? "";
    const colon = hostHeader.startsWith("[") ? hostHeader.indexOf("]:") + 1 : hostHeader.lastIndexOf(":");
    const facts: RequestFacts = {
      method: req.method ?? "GET",
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? "" : url.slice(q + 1),
      host: colon > 0 ? hostHeader.slice(0, colon) : hostHeader,
      headers: req.headers,
      sourceIp: clientIp,
    };
    let action: Action | undefined;
    for (const rule of listener.rules) {
      if (rule.priority === null || rule.matches(facts)) {
        action = rule.action;
        entry.rulePriority = rule.priority === null ? "0" : String(rule.priority);
        break;
      }
    }
    if (!action) {
      this.finish(req, entry, { elbStatus: 503, sentBytes: sendElbError(res, 503), errorReason: "NoRule" });
      return;
    }
    entry.action = action.type === "fixed-response" ? "fixed-response" : action.type;
    if (action.type === "fixed-response") {
      const config = action.fixedResponseConfig;
      const status = Number(config?.statusCode ?? 200);
      const body = config?.messageBody ?? "";
      res.writeHead(status, {
        server: "awselb/2.0",
        "content-length": Buffer.byteLength(body),
        ...(config?.contentType !== undefined && { "content-type": config.contentType }),
      });
      res.end(body);
      this.finish(req, entry, { elbStatus: status, sentBytes: Buffer.byteLength(body) });
      return;
    }
    if (action.type === "redirect" && action.redirectConfig) {
      const location = redirectLocation(action.redirectConfig, {
        protocol: listener.protocol.toLowerCase(),
        host: facts.host,
        port,
        path: facts.path,
        query: facts.query,
      });
      entry.redirect = location;
      const status = action.redirectConfig.statusCode === "HTTP_301" ? 301 : 302;
      res.writeHead(status, { server: "awselb/2.0", location, "content-length": 0 });
      res.end();
      this.finish(req, entry, { elbStatus: status, sentBytes: 0 });
      return;
    }
    this.forward(req, res, action, entry, started);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    action: Action,
    entry: RequestEntry,
    now: number,
  ): void {
    const tuples =
      action.forwardConfig?.targetGroups ??
      (action.targetGroupArn ? [{ targetGroupArn: action.targetGroupArn, weight: 1 }] : []);
    const extraHeaders: Array<[string, string]> = [];
    let groupArn: string | undefined;
    const groupStickiness = action.forwardConfig?.targetGroupStickinessConfig;
    if (groupStickiness?.enabled) {
      const sticky = decodeCookie(readCookie(req.headers.cookie, groupStickyCookie));
      if (sticky && tuples.some((t) => t.targetGroupArn === sticky && (t.weight ?? 1) > 0)) groupArn = sticky;
    }
    if (!groupArn) {
      let total = 0;
      for (const t of tuples) total += t.weight ?? 1;
      if (tuples.length === 1) groupArn = tuples[0]?.targetGroupArn;
      else if (total > 0) {
        let point = Math.random() * total;
        for (const t of tuples) {
          point -= t.weight ?? 1;
          if (point < 0) {
            groupArn = t.targetGroupArn;
            break;
          }
        }
      }
    }
    if (groupStickiness?.enabled && groupArn) {
      extraHeaders.push([
        "set-cookie",
        cookieHeader(groupStickyCookie, encodeCookie(groupArn), groupStickiness.durationSeconds ?? 3600),
      ]);
    }
    const group = groupArn ? this.groups.get(groupArn) : undefined;
    if (!group) {
      this.finish(req, entry, {
        elbStatus: 503,
        sentBytes: sendElbError(res, 503),
        errorReason: "NoTargetGroup",
      });
      return;
    }
    entry.targetGroup = group.config;

    // Target stickiness: the cookie names a target that can still take requests.
    let target: TargetState | undefined;
    const stickiness = group.config.stickiness;
    if (stickiness.type === "lb_cookie") {
      const key = decodeCookie(readCookie(req.headers.cookie, stickyCookie));
      if (key) target = group.stickyTarget(key, now);
    } else if (stickiness.type === "app_cookie") {
      const key = decodeCookie(readCookie(req.headers.cookie, appStickyCookie));
      if (key && readCookie(req.headers.cookie, stickiness.cookieName) !== undefined)
        target = group.stickyTarget(key, now);
    }
    target ??= group.pick(entry.clientIp, now);
    if (!target) {
      this.finish(req, entry, {
        elbStatus: 503,
        sentBytes: sendElbError(res, 503),
        errorReason: "NoRegisteredTargets",
      });
      return;
    }
    this.dispatch(req, res, group, target, entry, extraHeaders, false);
  }

  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    group: TargetGroupRuntime,
    target: TargetState,
    entry: RequestEntry,
    extraHeaders: Array<[string, string]>,
    retried: boolean,
  ): void {
    entry.target = target;
    const stickiness = group.config.stickiness;
    const responseHeaders = [...extraHeaders];
    if (stickiness.type === "lb_cookie") {
      responseHeaders.push([
        "set-cookie",
        cookieHeader(stickyCookie, encodeCookie(target.key), stickiness.durationSeconds),
      ]);
    }
    const head = this.forwardHead(req, entry);
    target.outstanding++;
    const sentAt = Date.now();
    const handler = new ForwardHandler(req, res, responseHeaders, (result) => {
      target.outstanding--;
      target.inflight.delete(handler);
      if (result.targetMs !== undefined) target.recordLatency(result.targetMs, Date.now());
      if (result.retryable && !retried) {
        const other = group.pick(entry.clientIp, Date.now(), target);
        if (other && other !== target) {
          this.metrics.connectionError(entry.lb, group.config);
          this.dispatch(req, res, group, other, entry, extraHeaders, true);
          return;
        }
      }
      if (result.elbStatus !== undefined) result.sentBytes = sendElbError(res, result.elbStatus);
      if (target.state === "draining" && target.outstanding === 0) this.sweepDraining();
      this.finish(req, entry, result, sentAt);
    });
    if (stickiness.type === "app_cookie" && !retried) {
      // When the target sets the application's cookie, bind the client to it with AWSALBAPP-0. Wrapped
      // once per request: a retry must not add a second cookie naming the target that refused.
      const original = res.writeHead;
      const name = `${stickiness.cookieName}=`;
      res.writeHead = ((status: number, ...rest: unknown[]) => {
        const setCookie = res.getHeader("set-cookie");
        const given = rest.find((r) => typeof r === "object" && r !== null) as
          | Record<string, string | string[]>
          | undefined;
        const fromTarget = [given?.["set-cookie"] ?? setCookie]
          .flat()
          .filter((c): c is string => typeof c === "string");
        if (fromTarget.some((c) => c.startsWith(name)) && given) {
          given["set-cookie"] = [
            ...fromTarget,
            cookieHeader(
              appStickyCookie,
              encodeCookie((entry.target ?? target).key),
              stickiness.durationSeconds,
            ),
          ];
        }
        return original.call(res, status, ...(rest as []));
      }) as typeof res.writeHead;
    }
    const hasBody =
      req.headers["content-length"] !== undefined
        ? req.headers["content-length"] !== "0"
        : req.headers["transfer-encoding"] !== undefined;
    target.inflight.add(handler);
    handler.exchange = target.pool.request(
      {
        head,
        body: hasBody ? req : undefined,
        chunked: hasBody && req.headers["content-length"] === undefined,
        headRequest: req.method === "HEAD",
        idempotent: idempotentMethods.has(req.method ?? ""),
        idleTimeoutMs: entry.lb.idleTimeoutMs,
      },
      handler,
    );
  }

  /**
   * The request line and headers for the target: the client's headers minus hop-by-hop ones, plus
   * X-Forwarded-For/Proto/Port and X-Amzn-Trace-Id, and the body's framing (Content-Length as the client
   * sent it, or chunked when the client's body was chunked).
   */
  private forwardHead(req: IncomingMessage, entry: RequestEntry): string {
    const raw = req.rawHeaders;
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    let xff: string | undefined;
    let trace: string | undefined;
    const listed = connectionListed(req.headers.connection);
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] ?? "";
      const value = raw[i + 1] ?? "";
      const lower = name.toLowerCase();
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
    if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] !== undefined) {
      head += "transfer-encoding: chunked\r\n";
    }
    const mode = entry.lb.xffMode;
    if (mode === "append")
      head += `x-forwarded-for: ${xff === undefined ? entry.clientIp : `${xff}, ${entry.clientIp}`}\r\n`;
    else if (mode === "preserve" && xff !== undefined) head += `x-forwarded-for: ${xff}\r\n`;
    head += `x-forwarded-proto: ${entry.listener.protocolLower}\r\nx-forwarded-port: ${entry.listener.port}\r\n`;
    head += `x-amzn-trace-id: ${trace?.includes("Root=") ? `Self=${entry.traceId};${trace}` : `Root=${entry.traceId}`}\r\n\r\n`;
    return head;
  }

  private finish(req: IncomingMessage, entry: RequestEntry, result: ForwardResult, sentAt?: number): void {
    this.inflight--;
    const end = Date.now();
    const elbStatus = result.clientClosed ? 460 : (result.elbStatus ?? result.targetStatus ?? 0);
    this.metrics.request(
      entry.lb,
      entry.targetGroup,
      result.elbStatus,
      result.targetStatus,
      result.targetMs === undefined ? undefined : result.targetMs / 1000,
      result.connectionError === true,
    );
    // As in AWS, a load balancer logs requests when its access_logs.s3.enabled attribute is on.
    if (!entry.lb.accessLogs && !this.options.logEveryLoadBalancer) return;
    const targetTime = sentAt !== undefined && result.targetStatus !== undefined ? (end - sentAt) / 1000 : -1;
    this.options.accessLog.write({
      time: end,
      elb: entry.lb.dimension,
      client: `${entry.clientIp}:${req.socket.remotePort ?? 0}`,
      target: entry.target ? `${entry.target.host}:${entry.target.port}` : "-",
      requestProcessingTime: ((sentAt ?? end) - entry.started) / 1000,
      targetProcessingTime: targetTime,
      responseProcessingTime: targetTime === -1 ? -1 : 0,
      elbStatusCode: elbStatus,
      targetStatusCode: result.targetStatus,
      receivedBytes: Number(req.headers["content-length"] ?? 0),
      sentBytes: result.sentBytes,
      request: `${req.method} http://${req.headers.host ?? "-"}${req.url} HTTP/${req.httpVersion}`,
      userAgent: req.headers["user-agent"] ?? "-",
      targetGroupArn: entry.targetGroup?.arn ?? "-",
      traceId: `Root=${entry.traceId}`,
      domainName: "-",
      matchedRulePriority: entry.rulePriority,
      requestCreationTime: entry.started,
      actionsExecuted: entry.action,
      redirectUrl: entry.redirect,
      errorReason: result.errorReason ?? "-",
    });
  }

  // ---- WebSocket and other upgrades: a byte pipe to one target ----------------------------------

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer, port: number): void {
    const snapshot = this.snapshot;
    const listener = snapshot?.listeners.get(port);
    const fail = (status: number) => {
      socket.end(
        `HTTP/1.1 ${status} ${status === 503 ? "Service Unavailable" : "Bad Gateway"}\r\nserver: awselb/2.0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
    };
    if (!listener) {
      fail(503);
      return;
    }
    const facts: RequestFacts = {
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0] ?? "/",
      query: (req.url ?? "").split("?")[1] ?? "",
      host: (req.headers.host ?? "").replace(/:\d+$/, ""),
      headers: req.headers,
      sourceIp: clientAddress(socket),
    };
    const rule = listener.rules.find((r) => r.priority === null || r.matches(facts));
    const arn = rule?.action.forwardConfig?.targetGroups[0]?.targetGroupArn ?? rule?.action.targetGroupArn;
    const group = arn ? this.groups.get(arn) : undefined;
    const target = group?.pick(facts.sourceIp, Date.now());
    if (!group || !target) {
      fail(503);
      return;
    }
    target.outstanding++;
    const upstream = connect(target.port, target.host);
    let connected = false;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      target.outstanding--;
    };
    upstream.once("connect", () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      lines.push(
        `X-Forwarded-For: ${facts.sourceIp}`,
        `X-Forwarded-Proto: ${listener.protocol.toLowerCase()}`,
        `X-Forwarded-Port: ${port}`,
      );
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.once("error", () => {
      release();
      // Refused or unreachable before the tunnel existed: the client still expects an HTTP answer.
      if (!connected) fail(502);
      else socket.destroy();
    });
    socket.once("error", () => upstream.destroy());
    socket.once("close", () => {
      release();
      upstream.destroy();
    });
    upstream.once("close", () => {
      release();
      // Without a tunnel the client's socket is ending with its 502, which destroy() could cut short.
      if (connected) socket.destroy();
    });
  }

  // ---- Health checks ---------------------------------------------------------------------------

  private scheduleHealthChecks(runtime: TargetGroupRuntime): void {
    const config = runtime.config;
    const arn = config.arn;
    const active = config.healthCheck.healthCheckEnabled && config.loadBalancerArns.size > 0;
    const interval = config.healthCheck.healthCheckIntervalSeconds * 1000;
    const existing = this.healthTimers.get(arn) as (NodeJS.Timeout & { interval?: number }) | undefined;
    if (!active) {
      this.stopHealthChecks(arn);
      return;
    }
    if (existing && existing.interval === interval) {
      // New targets should not wait a whole interval for their first check.
      if (
        [...runtime.targets.values()].some(
          (t) => t.state === "initial" && t.consecutivePasses + t.consecutiveFails === 0,
        )
      ) {
        void this.runHealthChecks(runtime);
      }
      return;
    }
    this.stopHealthChecks(arn);
    const timer = setInterval(() => void this.runHealthChecks(runtime), interval) as NodeJS.Timeout & {
      interval?: number;
    };
    timer.interval = interval;
    timer.unref();
    this.healthTimers.set(arn, timer);
    void this.runHealthChecks(runtime);
  }

  private stopHealthChecks(arn: string): void {
    const timer = this.healthTimers.get(arn);
    if (timer) clearInterval(timer);
    this.healthTimers.delete(arn);
  }

  private readonly checking = new Set<string>();

  private async runHealthChecks(runtime: TargetGroupRuntime): Promise<void> {
    if (this.closing) return;
    const targets = [...runtime.targets.values()].filter((t) => t.state !== "draining");
    await Promise.all(
      targets.map(async (target) => {
        const key = `${runtime.config.arn}|${target.key}`;
        if (this.checking.has(key)) return; // the previous check is still waiting for its timeout
        this.checking.add(key);
        try {
          const result = await checkTarget(runtime, target);
          if (runtime.targets.get(target.key) !== target || target.state === "draining") return;
          const transition = applyCheck(runtime, target, result);
          if (!transition) return;
          const wasHealthy = target.state === "healthy";
          target.state = transition.state;
          target.reason = transition.reason;
          target.description = transition.description;
          if (transition.state === "healthy" && !wasHealthy) target.healthySince = Date.now();
          runtime.invalidate();
          this.recordHealth(runtime.config.arn, target);
        } finally {
          this.checking.delete(key);
        }
      }),
    );
  }

  /** Health is the proxy's to write: DescribeTargetHealth reads it back from the registry. */
  private recordHealth(groupArn: string, target: TargetState): void {
    try {
      this.options.db
        .update(schema.targets)
        .set({
          state: target.state,
          reason: target.reason,
          description: target.description,
          updatedAt: Date.now(),
        })
        .where(
          and(
            eq(schema.targets.targetGroupArn, groupArn),
            eq(schema.targets.targetId, target.id),
            eq(schema.targets.port, target.port),
            ne(schema.targets.state, "draining"),
          ),
        )
        .run();
    } catch (error) {
      this.options.log.warn(`could not record the health of ${target.key}`, error);
    }
  }

  // ---- Draining --------------------------------------------------------------------------------

  /** A draining target leaves once its last in-flight request is done or its delay has run out. */
  private sweepDraining(): void {
    const now = Date.now();
    for (const runtime of this.groups.values()) {
      for (const [key, target] of runtime.targets) {
        if (target.state !== "draining") continue;
        if (target.outstanding > 0 && (target.drainDeadline ?? 0) > now) continue;
        try {
          this.options.db
            .delete(schema.targets)
            .where(
              and(
                eq(schema.targets.targetGroupArn, runtime.config.arn),
                eq(schema.targets.targetId, target.id),
                eq(schema.targets.port, target.port),
                eq(schema.targets.state, "draining"),
              ),
            )
            .run();
        } catch (error) {
          this.options.log.warn(`could not remove drained target ${key}; retrying`, error);
          continue;
        }
        runtime.targets.delete(key);
        runtime.invalidate();
        this.pools.release(target.origin);
        // The delay ran out with requests in flight: ALB cuts them off with a 502. The target has left the
        // group first, so the sweep their completion triggers does not see it again.
        for (const request of [...target.inflight]) request.abort(deregistrationElapsed());
      }
    }
  }

  // ---- Metrics ---------------------------------------------------------------------------------

  private flushMetrics(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const second = Math.floor(Date.now() / 1000) - 1;
    const gauges: Parameters<MetricsAggregator["drain"]>[1] = [];
    for (const runtime of this.groups.values()) {
      let healthy = 0;
      let unhealthy = 0;
      for (const target of runtime.targets.values()) {
        if (target.state === "healthy") healthy++;
        else if (target.state === "unhealthy") unhealthy++;
      }
      for (const lbArn of runtime.config.loadBalancerArns) {
        const lb = snapshot.loadBalancers.get(lbArn);
        if (lb) gauges.push({ loadBalancer: lb, targetGroup: runtime.config, healthy, unhealthy });
      }
    }
    const samples = this.metrics.drain(second, gauges);
    try {
      recordSamples(this.options.db, samples);
    } catch (error) {
      this.options.log.warn("could not write metrics; this second is lost", error);
    }
  }

  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), writes the last metrics. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const arn of [...this.healthTimers.keys()]) this.stopHealthChecks(arn);
    const closed = [...this.bindings.values()].map(
      (binding) =>
        new Promise<void>((resolve) => {
          binding.server.close(() => resolve());
          binding.server.closeIdleConnections();
        }),
    );
    this.bindings.clear();
    const deadline = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 100))]);
    this.flushMetrics();
    this.pools.closeAll();
    await this.options.accessLog.close();
  }
}

type RequestEntry = {
  lb: LoadBalancerConfig;
  listener: ListenerConfig;
  clientIp: string;
  started: number;
  traceId: string;
  rulePriority: string;
  action: string;
  redirect: string;
  targetGroup: TargetGroupConfig | undefined;
  target: TargetState | undefined;
};
