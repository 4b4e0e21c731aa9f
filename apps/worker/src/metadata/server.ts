import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import {
  answerMetadataRequest,
  defaultThrottleLimits,
  type MetadataIdentity,
  type RequestBucket,
  type ThrottleLimits,
  takeRequestToken,
  throttledAnswer,
} from "@scaleout/core";
import type { Logger } from "../log.ts";

/*
 * The instance-metadata service (IMDS) on loopback. Each instance has a port of its own, since the port
 * is what names the instance here (the SDKs keep only scheme, host and port of
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, so a path per instance would be lost). One HTTP server answers
 * them all: each port's net.Server hands its connections over, tagged with the instance they came to.
 * Everything an instance sends is hostile: headers are capped, connections per port are capped, and a
 * connection that idles or lingers is closed, so a slow or greedy instance costs the worker little.
 */

export interface MetadataLimits {
  /** Bytes of request head (request line and headers) accepted; more is answered 431. */
  maxHeaderBytes: number;
  /** Connections one instance may hold open at once; further ones are refused. */
  maxConnectionsPerPort: number;
  /** A connection that sends nothing for this long is closed. */
  idleMs: number;
  /** A connection is closed this long after it opened, whatever it does (slowloris). */
  maxConnectionMs: number;
  /** Requests per instance: beyond them, 429 (EC2 throttles per instance too). */
  throttle: ThrottleLimits;
}

export const defaultMetadataLimits: MetadataLimits = {
  maxHeaderBytes: 8 * 1024,
  maxConnectionsPerPort: 16,
  idleMs: 5_000,
  maxConnectionMs: 30_000,
  throttle: defaultThrottleLimits,
};

export interface MetadataServerOptions {
  /** The instance's metadata, read at each request; undefined once it is gone. */
  identity(instanceId: string): MetadataIdentity | undefined;
  log: Logger;
  now?: () => number;
  limits?: Partial<MetadataLimits>;
  /** Where the per-instance ports are bound; loopback. */
  host?: string;
}

interface Port {
  port: number;
  server: Server;
  ready: Promise<void>;
}

export function createMetadataServer(options: MetadataServerOptions) {
  const { log } = options;
  const now = options.now ?? Date.now;
  const limits: MetadataLimits = { ...defaultMetadataLimits, ...options.limits };
  const host = options.host ?? "127.0.0.1";
  // Tokens are sealed with this: a new worker refuses its predecessor's tokens (401), and the SDKs and
  // the CLI ask for a new one, as they do when a token expires.
  const secret = randomBytes(32);
  const owners = new WeakMap<Socket, string>();
  const ports = new Map<string, Port>();
  const buckets = new Map<string, RequestBucket>();

  /** Whether the instance's request budget has room for one more (and takes it). */
  function withinBudget(instanceId: string): boolean {
    const { bucket, allowed } = takeRequestToken(buckets.get(instanceId), now(), limits.throttle);
    buckets.set(instanceId, bucket);
    return allowed;
  }

  const http = createHttpServer(
    { maxHeaderSize: limits.maxHeaderBytes, keepAliveTimeout: limits.idleMs },
    (request: IncomingMessage, response: ServerResponse) => {
      const instanceId = owners.get(request.socket);
      // IMDS requests carry no body; one that announces a body is refused and its connection closed
      // rather than read.
      const hasBody =
        request.headers["transfer-encoding"] !== undefined ||
        (request.headers["content-length"] !== undefined && request.headers["content-length"] !== "0");
      const answer =
        instanceId !== undefined && !withinBudget(instanceId)
          ? throttledAnswer()
          : answerMetadataRequest(
              { method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, hasBody },
              instanceId === undefined || hasBody ? undefined : options.identity(instanceId),
              secret,
              now(),
            );
      response.writeHead(answer.status, {
        ...answer.headers,
        server: "EC2ws",
        ...(hasBody && { connection: "close" }),
      });
      response.end(answer.body);
    },
  );
  http.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    // end() flushes the answer, then closes; the connection's own timers destroy it should the peer linger.
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  function accept(instanceId: string, socket: Socket): void {
    socket.on("error", () => socket.destroy());
    socket.setTimeout(limits.idleMs, () => socket.destroy());
    const deadline = setTimeout(() => socket.destroy(), limits.maxConnectionMs);
    deadline.unref();
    socket.once("close", () => clearTimeout(deadline));
    owners.set(socket, instanceId);
    http.emit("connection", socket);
  }

  function open(instanceId: string, port: number): Promise<void> {
    const existing = ports.get(instanceId);
    if (existing?.port === port) return existing.ready;
    if (existing) void close(instanceId);
    const server = createNetServer((socket) => accept(instanceId, socket));
    server.maxConnections = limits.maxConnectionsPerPort;
    const ready = new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", (error) =>
          log.warn("metadata service error", { instance: instanceId, port, error }),
        );
        resolve();
      });
    });
    const entry: Port = { port, server, ready };
    ports.set(instanceId, entry);
    ready.then(
      () => log.debug("metadata service open", { instance: instanceId, port }),
      () => {
        // Not listening: forgotten, so that the next sync or launch tries again.
        if (ports.get(instanceId) === entry) ports.delete(instanceId);
      },
    );
    return ready;
  }

  function close(instanceId: string): Promise<void> {
    const entry = ports.get(instanceId);
    if (!entry) return Promise.resolve();
    ports.delete(instanceId);
    buckets.delete(instanceId);
    return new Promise<void>((resolve) => {
      // Open connections go too: the instance is gone, so is its service.
      entry.server.close(() => resolve());
      for (const socket of sockets(instanceId)) socket.destroy();
    }).then(() => log.debug("metadata service closed", { instance: instanceId, port: entry.port }));
  }

  const live = new Set<Socket>();
  http.on("connection", (socket: Socket) => {
    live.add(socket);
    socket.once("close", () => live.delete(socket));
  });
  const sockets = (instanceId: string) => [...live].filter((s) => owners.get(s) === instanceId);

  return {
    /**
     * Serves `instanceId` on `port` (127.0.0.1); resolves once listening, rejects when the port cannot
     * be bound. Opening what is already open is a no-op.
     */
    open,
    /** Stops serving an instance and drops its connections. */
    close,
    /**
     * Makes the open ports those of `wanted` (instance id → port): opens the missing ones (a restarted
     * worker's live instances), closes those of instances that are gone. Answers the ports that failed.
     */
    async sync(wanted: Map<string, number>): Promise<string[]> {
      for (const [instanceId, entry] of ports) {
        if (wanted.get(instanceId) !== entry.port) void close(instanceId);
      }
      const failed: string[] = [];
      await Promise.all(
        [...wanted].map(([instanceId, port]) =>
          open(instanceId, port).catch((error: unknown) => {
            failed.push(instanceId);
            log.warn("could not open an instance's metadata service", { instance: instanceId, port, error });
          }),
        ),
      );
      return failed;
    },
    /** The instances served now and their ports. */
    served(): Map<string, number> {
      return new Map([...ports].map(([id, entry]) => [id, entry.port]));
    },
    /** Closes every port and connection (worker shutdown); the instances keep running. */
    async closeAll(): Promise<void> {
      await Promise.all([...ports.keys()].map((id) => close(id)));
      for (const socket of live) socket.destroy();
      http.close();
    },
  };
}

export type MetadataServer = ReturnType<typeof createMetadataServer>;
