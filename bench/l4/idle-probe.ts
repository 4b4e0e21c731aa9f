// bench/l4's idle probe: what one idle TCP flow holds in scaleout's proxy, measured without the noise of
// RSS growth (which counts garbage and young-generation growth as well): real TcpFlow objects in this
// process between a client (load.cjs idle) and a target (target.cjs) in processes of their own, the
// heap and RSS after a forced GC, before and after `n` flows are open, divided by n. Run on any node:
//   node --expose-gc --import tsx bench/l4/idle-probe.ts [n]
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { FlowCount } from "../../apps/proxy/src/l4/flow-counters.ts";
import { flowHighWaterMark, forgetAddresses, TcpFlow } from "../../apps/proxy/src/l4/tcp-flow.ts";
import type { TargetGroupRuntime, TargetState } from "../../apps/proxy/src/targets.ts";

const n = Number(process.argv[2] ?? "5000");
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const targetChild = spawn(process.execPath, [join(import.meta.dirname, "target.cjs")], {
  stdio: ["ignore", "pipe", "inherit"],
});
const targetPort = await new Promise<number>((resolve) =>
  targetChild.stdout?.once("data", (d: Buffer) =>
    resolve((JSON.parse(d.toString()) as { port: number }).port),
  ),
);
// What a flow reads of its target and group: the fields TcpFlow touches, nothing of the registry.
const target = { host: "127.0.0.1", port: targetPort, outstanding: 0, inflight: new Set(), state: "healthy" };
const runtime = { config: { attributes: {} } };
const counts = new FlowCount({ loadBalancer: "lb", targetGroup: "tg", target: "t", protocol: "TCP" });
const flows = new Set<TcpFlow>();
const settings = { connectTimeoutMs: 10_000, drained: () => {}, ended: (f: TcpFlow) => flows.delete(f) };
const server = createServer(
  { allowHalfOpen: true, noDelay: true, highWaterMark: flowHighWaterMark },
  (socket: Socket) => {
    // As the listener's accept: the 5-tuple read, then node's cached copies of it dropped.
    void [socket.remoteAddress, socket.remotePort, socket.localAddress, socket.localPort];
    forgetAddresses(socket);
    const to = {
      runtime: runtime as unknown as TargetGroupRuntime,
      target: target as unknown as TargetState,
      counts,
      tls: false,
      proxyHeader: undefined,
    };
    flows.add(new TcpFlow(socket, to, settings, Date.now()));
  },
);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;
const memory = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, total: m.heapTotal };
};
await new Promise((resolve) => setTimeout(resolve, 200));
const before = memory();
const client = spawn(
  process.execPath,
  [join(import.meta.dirname, "load.cjs"), "idle", String(port), String(n)],
  {
    stdio: ["pipe", "pipe", "inherit"],
  },
);
await new Promise<void>((resolve) => client.stdout?.once("data", () => resolve()));
await new Promise((resolve) => setTimeout(resolve, 1500));
const after = memory();
const each = (k: "heap" | "rss" | "total") => ((after[k] - before[k]) / Math.max(1, flows.size)).toFixed(0);
process.stdout.write(
  `${process.version}: ${flows.size} idle flows; per flow after GC: heap ${each("heap")} B (committed ${each("total")} B), RSS ${each("rss")} B\n`,
);
client.stdin?.end();
await new Promise((resolve) => setTimeout(resolve, 300));
targetChild.kill();
process.exit(0);
