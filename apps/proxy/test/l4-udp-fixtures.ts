import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { forward, freePort, type Harness, loopback } from "./helpers.ts";

/**
 * DNS messages (RFC 1035) for the UDP tests: a query for one A record, and an answer naming the target
 * that answered in its address (10.0.0.<n>). Parsing is strict and bounded: anything malformed is null.
 */
export function dnsQuery(id: number, name: string): Buffer {
  const labels = name
    .split(".")
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // a standard query, recursion desired
  header.writeUInt16BE(1, 4); // one question
  return Buffer.concat([header, ...labels, Buffer.from([0]), Buffer.from([0, 1, 0, 1])]); // A, IN
}

/** The question's end offset, or null when the name runs past the message or a label is a pointer. */
function questionEnd(message: Buffer): number | null {
  let offset = 12;
  for (let labels = 0; labels < 128; labels++) {
    const length = message[offset];
    if (length === undefined || length > 63) return null;
    offset += 1 + length;
    if (length === 0) return offset + 4 <= message.length ? offset + 4 : null;
  }
  return null;
}

export function dnsAnswer(query: Buffer, address: [number, number, number, number]): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  const end = questionEnd(query);
  if (end === null) return null;
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(0x8180, 2); // a response, recursion desired and available, no error
  header.writeUInt16BE(1, 6); // one answer
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(1, 2);
  record.writeUInt16BE(1, 4);
  record.writeUInt32BE(60, 6);
  record.writeUInt16BE(4, 10);
  Buffer.from(address).copy(record, 12);
  return Buffer.concat([header, query.subarray(12, end), record]);
}

/** An answer's id and its A record's address, or null when it is not a well-formed answer. */
export function readDnsAnswer(message: Buffer): { id: number; address: string } | null {
  if (message.length < 12 || (message.readUInt16BE(2) & 0x8000) === 0 || message.readUInt16BE(6) !== 1)
    return null;
  const end = questionEnd(message);
  if (end === null || end + 16 > message.length) return null;
  if (message.readUInt16BE(end + 2) !== 1 || message.readUInt16BE(end + 10) !== 4) return null;
  return { id: message.readUInt16BE(0), address: [...message.subarray(end + 12, end + 16)].join(".") };
}

export interface UdpTarget {
  name: string;
  /** The same port for UDP (traffic) and TCP (health checks on the traffic port). */
  port: number;
  /** What it answers a query with: 10.0.0.<index>. */
  address: string;
  /** Datagrams received, and the client ports (the proxy's flow sockets) they came from. */
  datagrams: number;
  sources: Set<number>;
  /** Every datagram received, by size (0 and 65507 included). */
  sizes: number[];
  /** Answer from a socket on another port instead (a misbehaving target). */
  answerFromElsewhere: boolean;
  /** Echo what is not a DNS query instead of ignoring it. */
  echo: boolean;
  /** TCP connections accepted (health checks, and a TCP_UDP listener's TCP flows). */
  checks: number;
  close(): Promise<void>;
}

/**
 * A DNS-style UDP target on loopback, with a TCP server on the same port number for NLB's TCP health
 * checks (AWS checks UDP groups over TCP).
 */
export async function startUdpTarget(name: string, index: number): Promise<UdpTarget> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, loopback, resolve));
    const port = udp.address().port;
    const tcp = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, loopback, () => resolve(true));
    });
    if (!listening) {
      udp.close();
      if (attempt >= 20) throw new Error("no port free for both UDP and TCP");
      continue;
    }
    return serveUdpTarget(name, index, udp, tcp, port);
  }
}

function serveUdpTarget(name: string, index: number, udp: Socket, tcp: Server, port: number): UdpTarget {
  const other = createSocket("udp4");
  other.bind(0, loopback);
  const address: [number, number, number, number] = [10, 0, 0, index];
  const target: UdpTarget = {
    name,
    port,
    address: address.join("."),
    datagrams: 0,
    sources: new Set(),
    sizes: [],
    answerFromElsewhere: false,
    echo: false,
    checks: 0,
    close: async () => {
      udp.close();
      other.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
  udp.on("message", (message: Buffer, rinfo: RemoteInfo) => {
    target.datagrams++;
    target.sources.add(rinfo.port);
    target.sizes.push(message.length);
    const reply = dnsAnswer(message, address) ?? (target.echo ? message : null);
    if (!reply) return;
    (target.answerFromElsewhere ? other : udp).send(reply, rinfo.port, rinfo.address);
  });
  // TCP: health checks, and a TCP_UDP listener's TCP side, answered with the target's name.
  tcp.on("connection", (socket) => {
    target.checks++;
    socket.on("error", () => {});
    socket.end(`${name}\n`);
  });
  return target;
}

/** A client socket of its own (its own source port: its own flow). */
export interface UdpClient {
  port: number;
  /** Answers received, in order. */
  replies: Buffer[];
  send(datagram: Buffer): void;
  /** Sends a query and waits for the answer with its id (null after `timeoutMs`). */
  ask(id: number, timeoutMs?: number): Promise<{ id: number; address: string } | null>;
  close(): void;
}

export async function udpClient(proxyPort: number): Promise<UdpClient> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, loopback, resolve));
  const waiting = new Map<number, (answer: { id: number; address: string }) => void>();
  const client: UdpClient = {
    port: socket.address().port,
    replies: [],
    send: (datagram) => socket.send(datagram, proxyPort, loopback),
    ask(id, timeoutMs = 2000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve(null);
        }, timeoutMs);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        client.send(dnsQuery(id, "example.com"));
      });
    },
    close: () => socket.close(),
  };
  socket.on("message", (message: Buffer) => {
    client.replies.push(message);
    const answer = readDnsAnswer(message);
    if (!answer) return;
    const resolve = waiting.get(answer.id);
    waiting.delete(answer.id);
    resolve?.(answer);
  });
  return client;
}

/** Asks until an answer arrives (the first datagrams may race a reload), at most `tries` times. */
export async function askUntilAnswered(
  client: UdpClient,
  id: number,
  tries = 10,
): Promise<{ id: number; address: string }> {
  for (let i = 0; i < tries; i++) {
    const answer = await client.ask(id, 500);
    if (answer) return answer;
  }
  throw new Error(`no answer to query ${id} after ${tries} tries`);
}

/**
 * A network load balancer with a UDP (or TCP_UDP, or TCP) listener forwarding to a target group of that
 * protocol with these targets, health-checked every second over TCP (or `healthCheck.protocol`), all
 * through the services as the AWS door would create them.
 */
export async function udpLoadBalancer(
  h: Harness,
  targets: Array<{ port: number }>,
  options: {
    protocol?: "UDP" | "TCP_UDP" | "TCP";
    attributes?: Record<string, string>;
    name?: string;
    healthCheck?: { protocol: "TCP" | "HTTP"; matcher?: string };
  } = {},
): Promise<{ port: number; lbArn: string; tgArn: string; listenerArn: string }> {
  const name = options.name ?? "dns";
  const protocol = options.protocol ?? "UDP";
  const check = options.healthCheck ?? { protocol: "TCP" };
  const { services } = h;
  const lbArn = services.loadBalancers.create({ name, type: "network" }).loadBalancer.loadBalancerArn;
  const tgArn = services.targetGroups.create({
    name: `${name}-tg`,
    protocol,
    port: 53,
    targetType: "ip",
    healthCheckProtocol: check.protocol,
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
    ...(check.protocol === "HTTP" && {
      healthCheckPath: "/health",
      ...(check.matcher !== undefined && { matcher: { httpCode: check.matcher } }),
    }),
  }).targetGroup.targetGroupArn;
  if (targets.length > 0)
    services.targetGroups.register(
      `${name}-tg`,
      targets.map((t) => ({ id: loopback, port: t.port })),
    );
  const attributes = Object.entries(options.attributes ?? {}).map(([key, value]) => ({ key, value }));
  if (attributes.length > 0) services.targetGroups.modifyAttributes(`${name}-tg`, attributes);
  const port = await freePort();
  const listener = services.listeners.create(lbArn, { protocol, port, defaultActions: forward(tgArn) });
  await h.reload();
  return { port, lbArn, tgArn, listenerArn: listener.listenerArn };
}
