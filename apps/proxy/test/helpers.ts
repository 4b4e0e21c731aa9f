import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  type Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { join } from "node:path";
import { type Action, type Attribute, limitsFor, type TargetGroupInput } from "@scaleout/core";
import { createDb, type DbHandle, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { type ChangeEvents, createContext, createServices, type Services } from "@scaleout/services";
import { eventually, integrationTest } from "@scaleout/testing";
import { createAccessLog } from "../src/access-log.ts";
import { LoadBalancerProxy, type ProxyOptions } from "../src/proxy.ts";

/** A free loopback port (bind port 0, read it, release it). */
export { freePort };

export const loopback = "127.0.0.1";

/** What a target saw of one request; the target answers it as JSON too. */
export interface Seen {
  target: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

export interface TargetServer {
  name: string;
  port: number;
  /** Requests answered or in progress, health checks excluded. */
  hits: number;
  inflight: number;
  seen: Seen[];
  /** What `/health` answers: a status, or nothing at all (`hang`). */
  health: { status: number; hang: boolean; checks: number };
  /** Every request waits this long before its answer (`?delay=ms` overrides). */
  delayMs: number;
  /** Answers this status to traffic (not to health checks). */
  status: number;
  /** A Set-Cookie header to add to traffic answers. */
  setCookie: string | undefined;
  /** Requests to `/hold` wait until `release()`. */
  held: number;
  release(): void;
  close(): Promise<void>;
}

/**
 * A real target: node:http on 127.0.0.1, port 0. It answers its own name (header `x-target` and a JSON
 * body with what it received), and can be made slow, failing or unhealthy while the test runs.
 */
export async function startTarget(name: string, options: { delayMs?: number } = {}): Promise<TargetServer> {
  const waiting: Array<() => void> = [];
  const hanging = new Set<ServerResponse>();
  const target: TargetServer = {
    name,
    port: 0,
    hits: 0,
    inflight: 0,
    seen: [],
    health: { status: 200, hang: false, checks: 0 },
    delayMs: options.delayMs ?? 0,
    status: 200,
    setCookie: undefined,
    held: 0,
    release() {
      for (const resume of waiting.splice(0)) resume();
    },
    close: async () => {},
  };
  const answer = (req: IncomingMessage, res: ServerResponse, received: Buffer) => {
    const url = new URL(req.url ?? "/", "http://target");
    const status = Number(url.searchParams.get("status") ?? target.status);
    const body = JSON.stringify({
      target: name,
      method: req.method,
      url: req.url,
      headers: req.headers,
      bodyLength: received.length,
      bodySha256: createHash("sha256").update(received).digest("hex"),
    });
    res.writeHead(status, {
      "content-type": "application/json",
      "x-target": name,
      ...(target.setCookie !== undefined && { "set-cookie": target.setCookie }),
    });
    res.end(body);
  };
  // Heads as large as ALB forwards (64 KiB), not node:http's default 16 KiB.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    if (req.url === "/health") {
      target.health.checks++;
      if (target.health.hang) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      res.writeHead(target.health.status, { "content-type": "text/plain" });
      res.end("health");
      return;
    }
    target.hits++;
    target.inflight++;
    target.seen.push({
      target: name,
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    res.on("close", () => target.inflight--);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://target");
      if (url.pathname === "/hold") {
        target.held++;
        waiting.push(() => {
          target.held--;
          answer(req, res, received);
        });
        return;
      }
      const delay = Number(url.searchParams.get("delay") ?? target.delayMs);
      if (delay > 0) setTimeout(() => answer(req, res, received), delay);
      else answer(req, res, received);
    });
  });
  // Upgrades (WebSocket): switch protocols, then echo every byte back.
  const upgraded = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    target.hits++;
    target.seen.push({
      target: name,
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", () => {});
    const accept = createHash("sha1")
      .update(`${req.headers["sec-websocket-key"] ?? ""}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Target: ${name}\r\n\r\n`,
    );
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  target.port = typeof address === "object" && address ? address.port : 0;
  target.close = () =>
    new Promise<void>((resolve) => {
      target.release();
      for (const res of hanging) res.destroy();
      for (const socket of upgraded) socket.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return target;
}

/**
 * A raw target's reading side: calls `onHead` with the method and path (query included) of each request
 * head that arrives on `socket`, several per connection when the client keeps it alive. Requests are
 * expected without bodies. `onHead` answering `false` stops reading heads on that connection.
 */
export function eachRequestHead(
  socket: Socket,
  onHead: (method: string, path: string) => boolean | undefined,
): void {
  let buffer = "";
  let stopped = false;
  socket.on("data", (chunk: Buffer) => {
    if (stopped) return;
    buffer += chunk.toString("latin1");
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [method = "GET", path = "/"] = (buffer.slice(0, end).split("\r\n")[0] ?? "").split(" ");
      buffer = buffer.slice(end + 4);
      stopped = onHead(method, path) === false;
      if (stopped) return;
    }
  });
}

/** A raw TCP server on loopback, for targets that do not speak HTTP properly. */
export async function startRawServer(
  onConnection: (socket: Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The target that answered (its `x-target` header), if one did. */
  target: string | undefined;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  /** Connection reuse; by default every request has its own connection. */
  agent?: Agent | false;
  /** The client's own address: any 127.0.0.0/8 address reaches 127.0.0.1 over loopback. */
  localAddress?: string;
  body?: string;
  timeoutMs?: number;
}

/** One HTTP request to the proxy (always 127.0.0.1). */
export function send(port: number, path = "/", options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: loopback,
        port,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: options.agent ?? false,
        ...(options.localAddress && { localAddress: options.localAddress }),
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const target = res.headers["x-target"];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            target: typeof target === "string" ? target : undefined,
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** `total` requests with `concurrency` in flight; answers every reply in completion order. */
export async function load(
  total: number,
  concurrency: number,
  next: (i: number) => Promise<Reply>,
): Promise<Reply[]> {
  const replies: Reply[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      const i = issued++;
      replies.push(await next(i));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return replies;
}

/** How often each value occurs. */
export function tally(values: Array<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value ?? "-"] = (counts[value ?? "-"] ?? 0) + 1;
  return counts;
}

/** How many replies each target answered. */
export function countByTarget(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = reply.target ?? `status ${reply.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Everything a raw client socket receives until it closes (or `timeoutMs`, which rejects): for
 * tests that must see exactly what went over the wire, and that the connection ended.
 */
export function readToClose(socket: Socket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(
      () => reject(new Error(`still open after ${timeoutMs} ms; read: ${JSON.stringify(text)}`)),
      timeoutMs,
    );
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const forward = (targetGroupArn: string): Action[] => [{ type: "forward", targetGroupArn }];

export interface Harness {
  services: Services;
  handle: DbHandle;
  /** The proxy's own connection to the registry file, as a separate process would have. */
  proxyHandle: DbHandle;
  proxy: LoadBalancerProxy;
  accessLogFile: string;
  warnings: unknown[][];
  /** The proxy's info lines (state changes), in order. */
  infos: string[];
  reload(): Promise<void>;
  /** A load balancer (`web` unless named) and its ARN. */
  /** A load balancer with access logs on. */
  loadBalancer(name?: string): string;
  /** An ip target group registering `targets`, with health checks on /health every second unless overridden. */
  targetGroup(
    name: string,
    targets: Array<{ port: number }>,
    options?: { healthCheck?: TargetGroupInput; attributes?: Record<string, string> },
  ): string;
  /** A listener on a free port of `loadBalancer`, with these default actions. */
  listener(loadBalancerArn: string, defaultActions: Action[]): Promise<{ port: number; arn: string }>;
  /** lb + listener forwarding to one group of these targets, reloaded, targets healthy. */
  simple(
    targets: Array<{ port: number }>,
    options?: { healthCheck?: TargetGroupInput; attributes?: Record<string, string>; waitHealthy?: boolean },
  ): Promise<{ port: number; lbArn: string; tgArn: string; listenerArn: string }>;
  /** DescribeTargetHealth's state of each registered target by port. */
  health(targetGroup: string): Record<number, { state: string; reason?: string; description?: string }>;
  waitForState(
    targetGroup: string,
    port: number,
    state: string,
    options?: { timeoutMs?: number; reason?: string },
  ): Promise<{ state: string; reason?: string; description?: string }>;
  accessLogLines(): string[];
  close(): Promise<void>;
}

export const fastHealthCheck: TargetGroupInput = {
  healthCheckPath: "/health",
  healthCheckIntervalSeconds: 1,
  healthCheckTimeoutSeconds: 1,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
};

/**
 * A registry in `dataDir` (fast limits), services over it, and a started proxy on its own connection to
 * the same file. Tests change the registry through the services, then `reload()`.
 */
export async function createHarness(
  dataDir: string,
  options: {
    connectTimeoutMs?: number;
    events?: ChangeEvents;
    now?: () => number;
    connectionsPerTarget?: number;
    wafSink?: ProxyOptions["wafSink"];
    udpFlowLimit?: number;
    udpIdleTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const file = join(dataDir, "scaleout.db");
  const handle = createDb(file);
  runMigrations(handle.db);
  const services = createServices(
    createContext(handle.db, {
      limits: limitsFor(true),
      ...(options.events && { events: options.events }),
    }),
  );
  const proxyHandle = createDb(file);
  const accessLogFile = join(dataDir, "logs", "access.log");
  const warnings: unknown[][] = [];
  const infos: string[] = [];
  const proxy = new LoadBalancerProxy({
    db: proxyHandle.db,
    bindHost: loopback,
    accessLog: createAccessLog({ file: accessLogFile }),
    log: {
      debug: () => {},
      info: (message: unknown) => void infos.push(String(message)),
      warn: (...args: unknown[]) => warnings.push(args),
      error: (...args: unknown[]) => warnings.push(args),
    },
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.now !== undefined && { now: options.now }),
    ...(options.connectionsPerTarget !== undefined && { connectionsPerTarget: options.connectionsPerTarget }),
    ...(options.wafSink !== undefined && { wafSink: options.wafSink }),
    ...(options.udpFlowLimit !== undefined && { udpFlowLimit: options.udpFlowLimit }),
    ...(options.udpIdleTimeoutMs !== undefined && { udpIdleTimeoutMs: options.udpIdleTimeoutMs }),
  });
  await proxy.start();

  const harness: Harness = {
    services,
    handle,
    proxyHandle,
    proxy,
    accessLogFile,
    warnings,
    infos,
    async reload() {
      const ok = await proxy.reload();
      if (!ok) throw new Error(`reload failed: ${JSON.stringify(warnings.at(-1))}`);
    },
    loadBalancer(name = "web") {
      const arn = services.loadBalancers.create({ name }).loadBalancer.loadBalancerArn;
      // Access logs on, as a user would switch them on, so tests can read every request's line.
      services.loadBalancers.modifyAttributes(arn, [{ key: "access_logs.s3.enabled", value: "true" }]);
      return arn;
    },
    targetGroup(name, targets, groupOptions = {}) {
      const { targetGroup } = services.targetGroups.create({
        name,
        protocol: "HTTP",
        port: 80,
        targetType: "ip",
        ...fastHealthCheck,
        ...groupOptions.healthCheck,
      });
      if (targets.length > 0)
        services.targetGroups.register(
          name,
          targets.map((t) => ({ id: loopback, port: t.port })),
        );
      const attributes: Attribute[] = Object.entries(groupOptions.attributes ?? {}).map(([key, value]) => ({
        key,
        value,
      }));
      if (attributes.length > 0) services.targetGroups.modifyAttributes(name, attributes);
      return targetGroup.targetGroupArn;
    },
    async listener(loadBalancerArn, defaultActions) {
      const port = await freePort();
      const listener = services.listeners.create(loadBalancerArn, { protocol: "HTTP", port, defaultActions });
      return { port, arn: listener.listenerArn };
    },
    async simple(targets, simpleOptions = {}) {
      const lbArn = harness.loadBalancer();
      const tgArn = harness.targetGroup("tg", targets, simpleOptions);
      const { port, arn } = await harness.listener(lbArn, forward(tgArn));
      await harness.reload();
      if (simpleOptions.waitHealthy !== false) {
        for (const t of targets) await harness.waitForState("tg", t.port, "healthy");
      }
      return { port, lbArn, tgArn, listenerArn: arn };
    },
    health(targetGroup) {
      const out: Record<number, { state: string; reason?: string; description?: string }> = {};
      for (const d of services.targetGroups.health(targetGroup)) {
        out[d.target.port] = {
          state: d.targetHealth.state,
          ...(d.targetHealth.reason !== undefined && { reason: d.targetHealth.reason }),
          ...(d.targetHealth.description !== undefined && { description: d.targetHealth.description }),
        };
      }
      return out;
    },
    waitForState(targetGroup, port, state, waitOptions = {}) {
      return eventually(
        () => {
          const health = harness.health(targetGroup)[port];
          if (health?.state !== state) return undefined;
          if (waitOptions.reason !== undefined && health.reason !== waitOptions.reason) return undefined;
          return health;
        },
        {
          timeoutMs: waitOptions.timeoutMs ?? 10_000,
          message: `target ${port} of ${targetGroup} ${state} (now ${JSON.stringify(harness.health(targetGroup)[port])})`,
        },
      );
    },
    accessLogLines() {
      try {
        return readFileSync(accessLogFile, "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
    async close() {
      await proxy.close(500);
      proxyHandle.close();
      handle.close();
    },
  };
  return harness;
}

export interface ProxyEnv {
  h: Harness;
  /** A target server, closed after the test. */
  target(name: string, options?: { delayMs?: number }): Promise<TargetServer>;
  /** Runs after the test, before targets and the proxy close (last deferred first). */
  defer(cleanup: () => unknown): void;
}

/**
 * integrationTest plus `env`: a harness in the test's data directory and target servers, all closed after
 * the test (targets first, so nothing the proxy waits for is left hanging).
 */
export const proxyTest = integrationTest.extend<{ env: ProxyEnv }>({
  env: async ({ dataDir }, use) => {
    const h = await createHarness(dataDir);
    const targets: TargetServer[] = [];
    const deferred: Array<() => unknown> = [];
    await use({
      h,
      async target(name, options) {
        const t = await startTarget(name, options);
        targets.push(t);
        return t;
      },
      defer(cleanup) {
        deferred.push(cleanup);
      },
    });
    for (const cleanup of deferred.reverse()) await cleanup();
    await Promise.all(targets.map((t) => t.close()));
    await h.close();
  },
});
