// bench/l4-udp: UDP datagram round trips per second through a network load balancer's UDP listener
// (the proxy as its own single process, as `npm start` runs it with SCALEOUT_PROXY_WORKERS=1), beside the
// same load sent straight to the target, in the same run. Target, proxy and load are three processes on
// loopback; the load is `clients` sockets (one flow each) keeping `window` datagrams in flight.
//
//   npx tsx bench/l4-udp/run.ts [--seconds 5] [--clients 16] [--window 8] [--size 64]
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    clients: { type: "string", default: "16" },
    window: { type: "string", default: "8" },
    size: { type: "string", default: "64" },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const window = Number(values.window);
const size = Number(values.size);
const root = join(import.meta.dirname, "..", "..");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A UDP echo target in its own process, with a TCP server on the same port for the health checks. */
async function startTarget(port: number): Promise<ChildProcess> {
  const source = `
    const s = require("node:dgram").createSocket("udp4");
    s.on("message", (m, r) => s.send(m, r.port, r.address));
    s.bind(${port}, "127.0.0.1");
    require("node:net").createServer((c) => c.end()).listen(${port}, "127.0.0.1");`;
  const child = spawn(process.execPath, ["-e", source], { stdio: "ignore" });
  await echoes(port);
  return child;
}

/** Waits until `port` echoes a datagram (the process is up, the listener bound). */
async function echoes(port: number): Promise<void> {
  const socket = createSocket("udp4");
  let answered = false;
  socket.on("message", () => {
    answered = true;
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  for (let i = 0; i < 200 && !answered; i++) {
    socket.send("ping", port, "127.0.0.1");
    await sleep(50);
  }
  socket.close();
  if (!answered) throw new Error(`nothing answers on udp/${port}`);
}

/** Round trips per second over `clients` sockets towards `port`. */
async function measure(port: number): Promise<{ perSecond: number; lost: number }> {
  const payload = Buffer.alloc(size, 1);
  const sockets: Socket[] = [];
  let answered = 0;
  let sent = 0;
  let running = true;
  for (let i = 0; i < clients; i++) {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    socket.on("message", () => {
      answered++;
      if (running) {
        sent++;
        socket.send(payload, port, "127.0.0.1");
      }
    });
    sockets.push(socket);
  }
  // A lost datagram lowers the window for good; topping up each 100 ms keeps it full.
  const topUp = setInterval(() => {
    const missing = clients * window - (sent - answered);
    for (let i = 0; i < missing; i++) {
      sent++;
      sockets[i % clients]?.send(payload, port, "127.0.0.1");
    }
  }, 100);
  await sleep(500); // warm-up: flows open, JIT settles
  const from = answered;
  const started = Date.now();
  await sleep(seconds * 1000);
  const perSecond = ((answered - from) * 1000) / (Date.now() - started);
  running = false;
  clearInterval(topUp);
  await sleep(200);
  for (const socket of sockets) socket.close();
  return { perSecond, lost: sent - answered };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "scaleout-bench-udp-"));
  const targetPort = await freePort();
  const listenerPort = await freePort();
  const target = await startTarget(targetPort);
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const lb = services.loadBalancers.create({ name: "bench", type: "network" }).loadBalancer.loadBalancerArn;
  const { targetGroup } = services.targetGroups.create({
    name: "bench-tg",
    protocol: "UDP",
    port: 53,
    targetType: "ip",
    healthCheckProtocol: "TCP",
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 1,
  });
  services.targetGroups.register("bench-tg", [{ id: "127.0.0.1", port: targetPort }]);
  services.listeners.create(lb, {
    protocol: "UDP",
    port: listenerPort,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  const proxy = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "apps", "proxy", "src", "server.ts")],
    {
      cwd: root,
      env: {
        ...process.env,
        SCALEOUT_DATA_DIR: dataDir,
        REDIS_URL: "",
        SCALEOUT_PROXY_WORKERS: "1",
        SCALEOUT_ACCESS_LOG: "off",
        SCALEOUT_FAST: "1",
      },
      stdio: "ignore",
    },
  );
  try {
    await echoes(listenerPort);
    const direct = await measure(targetPort);
    const proxied = await measure(listenerPort);
    const row = (name: string, r: { perSecond: number; lost: number }) =>
      `${name.padEnd(24)} ${r.perSecond.toFixed(0).padStart(10)} ${String(r.lost).padStart(8)}`;
    process.stdout.write(
      `UDP round trips/s, ${clients} flows x ${window} in flight, ${size}-byte datagrams, ${seconds} s each\n` +
        `${"path".padEnd(24)} ${"per second".padStart(10)} ${"lost".padStart(8)}\n` +
        `${row("direct to the target", direct)}\n${row("through the UDP listener", proxied)}\n` +
        `ratio ${(proxied.perSecond / direct.perSecond).toFixed(2)}\n`,
    );
  } finally {
    proxy.kill("SIGTERM");
    target.kill("SIGTERM");
    handle.close();
    await sleep(300);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
