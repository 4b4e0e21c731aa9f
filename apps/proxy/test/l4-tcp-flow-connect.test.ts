// TcpFlow on its own, over real loopback sockets: the connect timeout the idle sweep applies (read
// from node's `connecting`, not from a 'connect' listener), and what an idle flow leaves on its sockets
// (one 'end' listener each, no 'drain' listener until a write pushes back).
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { InflightList } from "../src/inflight-list.ts";
import { FlowCount } from "../src/l4/flow-counters.ts";
import { flowHighWaterMark, TcpFlow } from "../src/l4/tcp-flow.ts";
import type { TargetGroupRuntime, TargetState } from "../src/targets.ts";
import { loopback } from "./helpers.ts";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  return (server.address() as AddressInfo).port;
}

/** A target that accepts and says nothing; `accepted` settles at its first connection. */
async function quietTarget() {
  let accepted: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    accepted = resolve;
  });
  const port = await listen(
    createServer((socket) => {
      sockets.push(socket);
      socket.on("error", () => {});
      accepted();
    }),
  );
  return { port, accepted: first };
}

/** A flow from a fresh client connection to `targetPort`, started at time `now`. */
async function flowTo(targetPort: number, now: number) {
  const counts = new FlowCount({ loadBalancer: "lb", targetGroup: "tg", target: "t", protocol: "TCP" });
  const target = {
    host: loopback,
    port: targetPort,
    outstanding: 0,
    inflight: new InflightList(),
    state: "healthy",
  };
  const runtime = { config: { attributes: {} } };
  const settings = { connectTimeoutMs: 10_000, drained: () => {}, ended: () => {} };
  let made: (flow: TcpFlow) => void = () => {};
  const flow = new Promise<TcpFlow>((resolve) => {
    made = resolve;
  });
  const port = await listen(
    createServer({ allowHalfOpen: true, highWaterMark: flowHighWaterMark }, (socket) => {
      const to = {
        runtime: runtime as unknown as TargetGroupRuntime,
        target: target as unknown as TargetState,
        counts,
        tls: false,
        proxyHeader: undefined,
      };
      made(new TcpFlow(socket, to, settings, now));
    }),
  );
  const client = connect({ port, host: loopback, allowHalfOpen: true });
  sockets.push(client);
  const closed = new Promise<string | undefined>((resolve) => {
    client.on("error", (error: NodeJS.ErrnoException) => resolve(error.code));
    client.on("close", () => resolve(undefined));
  });
  return { flow: await flow, client, counts, closed };
}

test("a target that has not answered the connect within the timeout resets the client", async () => {
  const target = await quietTarget();
  const { flow, counts, closed } = await flowTo(target.port, 1_000);
  // The connect is still under way right after the flow starts: nothing has run the event loop since.
  expect(flow.connectExpired(10_999)).toBe(false);
  expect(flow.connectExpired(11_000)).toBe(true);
  expect(counts.elbResets).toBe(1);
  expect(await closed).toBe("ECONNRESET");
});

test("a connected flow never expires by the connect timeout; an idle one listens to no 'drain'", async () => {
  const target = await quietTarget();
  const { flow, client } = await flowTo(target.port, 1_000);
  await target.accepted;
  await new Promise<void>((resolve) => {
    const check = () => (flow.upstream.connecting ? setTimeout(check, 5) : resolve());
    check();
  });
  expect(flow.connectExpired(1_000_000)).toBe(false);
  for (const socket of [flow.client, flow.upstream]) {
    expect(socket.listenerCount("end")).toBe(1);
    expect(socket.listenerCount("drain")).toBe(0);
  }
  // Still a working flow: a FIN from the client reaches the target.
  client.end();
  await new Promise<void>((resolve) => flow.upstream.once("finish", () => resolve()));
});
