import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { decodeProxyV2, type ProxyV2Header } from "@scaleout/core";
import { forward, freePort, type Harness, loopback } from "./helpers.ts";

/**
 * A TCP target on loopback for the layer-4 tests: greets each connection with `hello <name>\n`, then
 * echoes every byte; when the client half-closes, it answers `bye` and closes its side. With
 * `proxyProtocol`, it reads a PROXY v2 header first (and records it); with `tls`, it speaks TLS.
 */
export interface TcpTarget {
  name: string;
  port: number;
  /** Connections accepted (health checks included: NLB checks TCP groups by a connect). */
  connections: number;
  /** Open connections now. */
  readonly open: Set<Socket>;
  /** PROXY v2 headers received, in order. */
  headers: ProxyV2Header[];
  /** Reset every connection after this many echoed bytes (a target that fails mid-stream). */
  resetAfterBytes: number | undefined;
  close(): Promise<void>;
}

export async function startTcpTarget(
  name: string,
  options: { proxyProtocol?: boolean; tls?: { key: string; cert: string } } = {},
): Promise<TcpTarget> {
  const open = new Set<Socket>();
  const target: TcpTarget = {
    name,
    port: 0,
    connections: 0,
    open,
    headers: [],
    resetAfterBytes: undefined,
    close: async () => {},
  };
  const serve = (socket: Socket) => {
    target.connections++;
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => {});
    let echoed = 0;
    const echo = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      echoed += chunk.length;
      if (target.resetAfterBytes !== undefined && echoed > target.resetAfterBytes) {
        socket.resetAndDestroy();
        return;
      }
      // Backpressure: a client that does not read stops this echo, and so its own sending.
      if (!socket.write(chunk)) {
        socket.pause();
        socket.once("drain", () => socket.resume());
      }
    };
    const greet = (rest: Buffer) => {
      socket.write(`hello ${name}\n`);
      echo(rest);
      socket.on("data", echo);
    };
    socket.on("end", () => socket.end("bye"));
    if (!options.proxyProtocol) {
      greet(Buffer.alloc(0));
      return;
    }
    let received: Buffer = Buffer.alloc(0);
    const onHeader = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const decoded = decodeProxyV2(received);
      if (decoded.kind === "more") return;
      socket.off("data", onHeader);
      if (decoded.kind === "invalid") {
        socket.destroy();
        return;
      }
      target.headers.push(decoded.header);
      greet(received.subarray(decoded.length));
    };
    socket.on("data", onHeader);
  };
  const server: Server = options.tls
    ? createTlsServer({ ...options.tls, allowHalfOpen: true }, serve)
    : createServer({ allowHalfOpen: true }, serve);
  // Every raw connection, TLS handshakes included: a health check's connect that closes with a FIN
  // before any handshake stays half-open (allowHalfOpen) and would hold server.close() forever.
  const raw = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    raw.add(socket);
    socket.on("close", () => raw.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  target.port = typeof address === "object" && address ? address.port : 0;
  target.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      for (const socket of raw) socket.destroy();
      server.close(() => resolve());
    });
  return target;
}

/** A client connection and everything it has received so far. */
export interface TcpClient {
  socket: Socket;
  received(): string;
  /** Waits until what was received contains `text` (rejects after `timeoutMs`, or if it closes first). */
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the connection closes: `reset` when it ended with ECONNRESET. */
  closed: Promise<{ reset: boolean }>;
}

export function wrapClient(socket: Socket): TcpClient {
  const chunks: Buffer[] = [];
  let reset = false;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "ECONNRESET") reset = true;
  });
  const closed = new Promise<{ reset: boolean }>((resolve) => socket.once("close", () => resolve({ reset })));
  const received = () => Buffer.concat(chunks).toString("latin1");
  return {
    socket,
    received,
    closed,
    waitFor(text, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const now = received();
          if (!now.includes(text)) return false;
          done();
          resolve(now);
          return true;
        };
        const onClose = () => {
          if (check()) return;
          done();
          reject(new Error(`closed before ${JSON.stringify(text)}; got ${JSON.stringify(received())}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`no ${JSON.stringify(text)} in ${timeoutMs} ms; got ${JSON.stringify(received())}`),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          socket.off("data", check);
          socket.off("close", onClose);
        };
        if (check()) return;
        socket.on("data", check);
        socket.once("close", onClose);
      });
    },
  };
}

/** A client connection to `port` on loopback (half-open: it may end its side and keep reading). */
export async function connectClient(port: number): Promise<TcpClient> {
  const { connect } = await import("node:net");
  const socket = connect({ port, host: loopback, allowHalfOpen: true });
  const client = wrapClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return client;
}

/** The target that greeted a client: `hello <name>`. */
export const greetedBy = (received: string): string | undefined => /^hello (\S+)\n/.exec(received)?.[1];

/**
 * A network load balancer with one listener (TCP unless given) forwarding to a target group (TCP unless
 * given) of these loopback targets, health-checked over TCP every second, all through the services.
 */
export async function networkLoadBalancer(
  h: Harness,
  targets: Array<{ port: number }>,
  options: {
    name?: string;
    listener?: {
      protocol: "TCP" | "TLS" | "TCP_UDP";
      certificateArn?: string;
      alpnPolicy?: string;
    };
    targetProtocol?: "TCP" | "TLS" | "TCP_UDP";
    attributes?: Record<string, string>;
    waitHealthy?: boolean;
  } = {},
): Promise<{ port: number; lbArn: string; tgArn: string; listenerArn: string; groupName: string }> {
  const name = options.name ?? "nlb";
  const groupName = `${name}-tg`;
  const { services } = h;
  const lbArn = services.loadBalancers.create({ name, type: "network" }).loadBalancer.loadBalancerArn;
  const tgArn = services.targetGroups.create({
    name: groupName,
    protocol: options.targetProtocol ?? "TCP",
    port: 80,
    targetType: "ip",
    healthCheckProtocol: "TCP",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
  }).targetGroup.targetGroupArn;
  if (targets.length > 0)
    services.targetGroups.register(
      groupName,
      targets.map((t) => ({ id: loopback, port: t.port })),
    );
  const attributes = Object.entries(options.attributes ?? {}).map(([key, value]) => ({ key, value }));
  if (attributes.length > 0) services.targetGroups.modifyAttributes(groupName, attributes);
  const port = await freePort();
  const listenerOptions = options.listener ?? { protocol: "TCP" as const };
  const listener = services.listeners.create(lbArn, {
    protocol: listenerOptions.protocol,
    port,
    defaultActions: forward(tgArn),
    ...(listenerOptions.certificateArn !== undefined && {
      certificates: [{ certificateArn: listenerOptions.certificateArn }],
    }),
    ...(listenerOptions.alpnPolicy !== undefined && { alpnPolicy: [listenerOptions.alpnPolicy] }),
  });
  await h.reload();
  if (options.waitHealthy !== false)
    for (const t of targets) await h.waitForState(groupName, t.port, "healthy");
  return { port, lbArn, tgArn, listenerArn: listener.listenerArn, groupName };
}
