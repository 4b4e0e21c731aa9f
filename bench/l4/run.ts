// bench/l4: scaleout's network load balancer (a TCP listener) beside HAProxy in TCP mode and nginx's
// stream module, all up at once over the same two targets: connections per second (a new connection per
// request), throughput over 1 and 8 connections, and 10,000 concurrent idle connections with each
// proxy's memory. Prints every figure, the ratios to HAProxy and the issue's targets. See README.md.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import { proxyNodeEnv, proxyNodeFlags } from "../../apps/proxy/src/process-settings.ts";
import { chooseNode, nodeVersions } from "../../scripts/node-runtime.mjs";
import { ensureSqliteBinding } from "../../scripts/sqlite-binding.mjs";
import { cpuMicros, median, processTree, rssMb, start, stopAll } from "../lib/measure.ts";
import { parseVariants } from "../lib/variants.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    idle: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "50" },
    systems: { type: "string", default: "scaleout,haproxy,nginx" },
    bundle: { type: "string" },
    /** A second scaleout from another bundle (a build from before a change), measured in the same run. */
    baseline: { type: "string" },
    quick: { type: "boolean", default: false },
    /** The node scaleout's proxy runs on: 24 (packages/node-runtime, as npm start), system, or a path. */
    node: { type: "string", default: "24" },
    /** Which rows: rate (connections/s), stream (MB/s over 1 and 8), idle (memory per idle connection). */
    rows: { type: "string", default: "rate,stream,idle" },
    /**
     * More one-process scaleouts of the current build with other node flags, as bench/proxy's:
     * "semi2=--max-semi-space-size=2 --max-old-space-size=1024;semi4=..."; upper-case NAME=value words
     * go to the environment instead.
     */
    variants: { type: "string" },
  },
});
const rowKinds = new Set((flags.rows ?? "").split(","));
const seconds = flags.quick ? 1 : Number(flags.seconds);
const repeats = flags.quick ? 1 : Number(flags.repeats);
/**
 * Each idle connection costs a proxy two descriptors (client and target side): the count is capped to
 * what this machine's descriptor limit lets a proxy hold (run.sh raises the soft limit to the hard one).
 */
const fdLimit = Number(spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim()) || 1024;
const idleCount = Math.min(flags.quick ? 500 : Number(flags.idle), Math.floor((fdLimit - 200) / 2));
const concurrency = Number(flags.concurrency);
const kinds = new Set((flags.systems ?? "").split(","));
const here = resolve(import.meta.dirname);
const root = resolve(here, "../..");
const log = (message: string) => process.stderr.write(`bench/l4: ${message}\n`);
/** The node scaleout runs on (Node 24 by default, as npm start), with a better-sqlite3 binding for it. */
const runtime = chooseNode(root, flags.node ?? "24", log);
const runtimeVersions = nodeVersions(runtime.node, log);
ensureSqliteBinding(root, runtime.node, runtimeVersions.modules, log, runtimeVersions.node);

interface System {
  name: string;
  port: number;
  pid: number;
}

/** The targets and load generators this bench started: stopped by pid when it ends. */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGTERM");
});

/** Starts a node script that prints `{ port }` first; answers the child and the port. */
async function startScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const line = await firstLine(child);
  return { child, value: JSON.parse(line) as Record<string, number> };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolveLine, reject) => {
    if (!child.stdout) return reject(new Error("no stdout"));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      lines.close();
      resolveLine(line);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before answering`)));
  });
}

/** Waits until a request through `port` is answered whole (the system is up and routes to a target). */
async function waitForAnswer(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((done) => {
      let got = 0;
      const socket = connect({ port, host: "127.0.0.1" }, () => socket.write("R"));
      socket.on("data", (c: Buffer) => {
        got += c.length;
      });
      socket.on("error", () => done(false));
      socket.on("close", () => done(got === 32));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing answers through port ${port}`);
}

function writeRegistry(dataDir: string, port: number, targets: number[]): void {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  const { loadBalancer } = services.loadBalancers.create({ name: "bench", type: "network" });
  const { targetGroup } = services.targetGroups.create({
    name: "bench-tg",
    protocol: "TCP",
    port: 80,
    targetType: "ip",
    healthCheckProtocol: "TCP",
  });
  services.listeners.create(loadBalancer.loadBalancerArn, {
    protocol: "TCP",
    port,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  // As HAProxy's and nginx's timeouts below: no idle flow is cut during a run.
  services.targetGroups.register(
    "bench-tg",
    targets.map((p) => ({ id: "127.0.0.1", port: p })),
  );
  handle.close();
}

/**
 * npm start's node flags for the proxy (scripts/start.ts takes them from the same place);
 * BENCH_NODE_ARGS replaces them, as in bench/proxy (e.g. "--cpu-prof --cpu-prof-dir=/tmp/l4-prof").
 */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? proxyNodeFlags.join(" ")).split(" ").filter(Boolean);

async function startScaleout(
  work: string,
  targets: number[],
  bundle: string,
  label = "",
  variant: { args: string[]; env: Record<string, string> } = { args: nodeArgs, env: {} },
): Promise<System> {
  const port = await freePort();
  const dataDir = join(work, `scaleout${label.replace(/[^a-z0-9]+/gi, "-")}`);
  writeRegistry(dataDir, port, targets);
  // npm start's environment for the proxy, under the shell's and a variant's.
  const child = start(runtime.node, [...variant.args, bundle], {
    ...proxyNodeEnv,
    ...process.env,
    ...variant.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: "",
    NODE_ENV: "production",
    SCALEOUT_ACCESS_LOG: "off",
    SCALEOUT_PROXY_WORKERS: "1",
  });
  return {
    name: `scaleout w1 node ${runtimeVersions.node.replace(/^v(\d+).*/, "$1")}${label}`,
    port,
    pid: child.pid ?? 0,
  };
}

async function startHaproxy(work: string, targets: number[]): Promise<System> {
  const port = await freePort();
  const conf = join(work, "haproxy.cfg");
  writeFileSync(
    conf,
    `global
  nbthread 1
  maxconn ${Math.floor((fdLimit - 20) / 2)}
defaults
  mode tcp
  timeout connect 5s
  timeout client 400s
  timeout server 400s
frontend bench
  bind 127.0.0.1:${port}
  default_backend targets
backend targets
  balance roundrobin
${targets.map((t, i) => `  server t${i} 127.0.0.1:${t}`).join("\n")}
`,
  );
  const child = start("haproxy", ["-f", conf, "-db"]);
  return { name: "HAProxy tcp 1 thread", port, pid: child.pid ?? 0 };
}

async function startNginx(work: string, targets: number[]): Promise<System> {
  const port = await freePort();
  const conf = join(work, "nginx.conf");
  writeFileSync(
    conf,
    `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
worker_rlimit_nofile ${fdLimit};
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log;
events { worker_connections ${idleCount * 2 + 200}; }
stream {
  upstream targets { hash $remote_addr$remote_port consistent; ${targets.map((t) => `server 127.0.0.1:${t};`).join(" ")} }
  server { listen 127.0.0.1:${port}; proxy_pass targets; proxy_timeout 400s; }
}
`,
  );
  const child = start("nginx", ["-c", conf, "-p", work, "-g", "daemon off;"]);
  return { name: "nginx stream 1 worker", port, pid: child.pid ?? 0 };
}

async function load(args: string[]): Promise<Record<string, number>> {
  const { value } = await startScript(join(here, "load.cjs"), args);
  return value;
}

interface Figures {
  connectionsPerSecond: number;
  cpuPerConnectionUs: number;
  mbPerSecond1: number;
  /** CPU time of the system's process tree per MB moved (µs). */
  cpuPerMb1Us: number;
  mbPerSecond8: number;
  cpuPerMb8Us: number;
  idleOpen: number;
  idleKbEach: number;
  /** Over the second half of the idle connections alone. */
  idleKbMarginal: number;
  idleRssMb: number;
}

/** One run per system per round, each round starting one system further along. */
async function alternate(
  systems: System[],
  run: (s: System) => Promise<number>,
): Promise<Map<System, number>> {
  const samples = new Map<System, number[]>(systems.map((s) => [s, []]));
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < systems.length; i++) {
      const s = systems[(i + r) % systems.length] as System;
      samples.get(s)?.push(await run(s));
    }
  }
  return new Map([...samples].map(([s, v]) => [s, median(v)]));
}

/**
 * The idle connections in two halves, each by a load generator of its own: the growth over all of them,
 * and the growth over the second half alone (what one more idle connection costs, once one-off growth
 * such as a runtime's young generation has happened in the first).
 */
async function idleRow(
  system: System,
): Promise<{ open: number; kbEach: number; kbMarginal: number; rssMb: number }> {
  // Settled first: a process just started (the first one measured) still grows by itself for a few
  // seconds, which would be counted against its connections.
  let before = rssMb(processTree(system.pid));
  for (let waited = 0; waited < 20; waited++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = rssMb(processTree(system.pid));
    const steady = Math.abs(now - before) < 0.25;
    before = now;
    if (steady && waited >= 1) break;
  }
  const half = Math.floor(idleCount / 2);
  const openHalf = async (count: number) => {
    const child = spawn(
      process.execPath,
      [join(here, "load.cjs"), "idle", String(system.port), String(count)],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const report = JSON.parse(await firstLine(child)) as { open: number; failed: number };
    // Let every flow reach its target and the proxies settle.
    await new Promise((r) => setTimeout(r, 3000));
    return { child, open: report.open, rss: rssMb(processTree(system.pid)) };
  };
  const first = await openHalf(half);
  const second = await openHalf(idleCount - half);
  for (const { child } of [first, second]) {
    child.stdin?.end();
    await new Promise((r) => child.once("exit", r));
  }
  const open = first.open + second.open;
  return {
    open,
    kbEach: ((second.rss - before) * 1024) / Math.max(1, open),
    kbMarginal: ((second.rss - first.rss) * 1024) / Math.max(1, second.open),
    rssMb: second.rss,
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "scaleout-bench-l4-"));
  try {
    let bundle = flags.bundle ? resolve(flags.bundle) : join(root, "dist", "proxy.mjs");
    if (!flags.bundle) {
      const built = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
      if (built.status !== 0) throw new Error("build failed");
      bundle = join(root, "dist", "proxy.mjs");
    }
    const targets = await Promise.all([0, 1].map(() => startScript(join(here, "target.cjs"), [])));
    const targetPorts = targets.map((t) => t.value.port ?? 0);
    const systems: System[] = [];
    if (kinds.has("scaleout")) systems.push(await startScaleout(work, targetPorts, bundle));
    if (flags.baseline)
      systems.push(await startScaleout(work, targetPorts, resolve(flags.baseline), " before"));
    for (const variant of kinds.has("scaleout") ? parseVariants(flags.variants, nodeArgs) : []) {
      systems.push(
        await startScaleout(work, targetPorts, bundle, ` ${variant.name}`, {
          args: variant.nodeArgs,
          env: variant.env,
        }),
      );
    }
    if (kinds.has("haproxy")) systems.push(await startHaproxy(work, targetPorts));
    if (kinds.has("nginx")) systems.push(await startNginx(work, targetPorts));
    for (const s of systems) await waitForAnswer(s.port);
    process.stdout.write(
      `bench/l4: ${systems.map((s) => s.name).join(", ")}; two node targets; ${seconds} s runs, median of ${repeats}; ${idleCount} idle connections (descriptor limit ${fdLimit})\n`,
    );

    // Warm-up: every system a short run of each kind.
    for (const s of systems) {
      if (rowKinds.has("rate")) await load(["rate", String(s.port), String(concurrency), "1"]);
      if (rowKinds.has("stream")) await load(["stream", String(s.port), "1", "1"]);
    }
    /** A load run, with the CPU time the system's process tree spent in it (µs). */
    const measured = async (s: System, args: string[]) => {
      const pids = processTree(s.pid);
      const cpuBefore = cpuMicros(pids);
      const result = await load(args);
      return { result, cpu: cpuMicros(pids) - cpuBefore };
    };
    const cpu = {
      rate: new Map<System, number[]>(systems.map((s) => [s, []])),
      one: new Map<System, number[]>(systems.map((s) => [s, []])),
      eight: new Map<System, number[]>(systems.map((s) => [s, []])),
    };
    const none = new Map<System, number>();
    const rate = !rowKinds.has("rate")
      ? none
      : await alternate(systems, async (s) => {
          const { result, cpu: used } = await measured(s, [
            "rate",
            String(s.port),
            String(concurrency),
            String(seconds),
          ]);
          cpu.rate.get(s)?.push(used / Math.max(1, result.done ?? 0));
          return result.perSecond ?? 0;
        });
    // CPU per MB: the stream runs count a second of warm-up the MB/s leaves out; the CPU of both is
    // divided by the MB of the measured seconds and the warm-up at the same rate.
    const stream = (connections: number, into: Map<System, number[]>) =>
      alternate(systems, async (s) => {
        const { result, cpu: used } = await measured(s, [
          "stream",
          String(s.port),
          String(connections),
          String(seconds),
        ]);
        const mbPerSecond = result.mbPerSecond ?? 0;
        into.get(s)?.push(used / Math.max(1, mbPerSecond * (seconds + 1)));
        return mbPerSecond;
      });
    const one = rowKinds.has("stream") ? await stream(1, cpu.one) : none;
    const eight = rowKinds.has("stream") ? await stream(8, cpu.eight) : none;
    const figures = new Map<System, Figures>();
    for (const s of systems) {
      const idle = rowKinds.has("idle")
        ? await idleRow(s)
        : { open: Number.NaN, kbEach: Number.NaN, kbMarginal: Number.NaN, rssMb: Number.NaN };
      figures.set(s, {
        connectionsPerSecond: rate.get(s) ?? Number.NaN,
        cpuPerConnectionUs: rowKinds.has("rate") ? median(cpu.rate.get(s) ?? []) : Number.NaN,
        mbPerSecond1: one.get(s) ?? Number.NaN,
        cpuPerMb1Us: rowKinds.has("stream") ? median(cpu.one.get(s) ?? []) : Number.NaN,
        mbPerSecond8: eight.get(s) ?? Number.NaN,
        cpuPerMb8Us: rowKinds.has("stream") ? median(cpu.eight.get(s) ?? []) : Number.NaN,
        idleOpen: idle.open,
        idleKbEach: idle.kbEach,
        idleKbMarginal: idle.kbMarginal,
        idleRssMb: idle.rssMb,
      });
    }
    report(systems, figures);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

function report(systems: System[], figures: Map<System, Figures>): void {
  const rows: Array<[string, (f: Figures) => string]> = [
    [`connections/s (c${concurrency}, new connection per request)`, (f) => f.connectionsPerSecond.toFixed(0)],
    ["CPU per connection (µs, whole process tree)", (f) => f.cpuPerConnectionUs.toFixed(0)],
    ["MB/s over 1 connection", (f) => f.mbPerSecond1.toFixed(0)],
    ["CPU per MB, 1 connection (µs, process tree)", (f) => f.cpuPerMb1Us.toFixed(0)],
    ["MB/s over 8 connections", (f) => f.mbPerSecond8.toFixed(0)],
    ["CPU per MB, 8 connections (µs, process tree)", (f) => f.cpuPerMb8Us.toFixed(0)],
    [`idle connections held (of ${idleCount})`, (f) => String(f.idleOpen)],
    ["KB per idle connection (RSS growth)", (f) => f.idleKbEach.toFixed(2)],
    ["KB per idle connection, second half alone", (f) => f.idleKbMarginal.toFixed(2)],
    ["RSS with them (MB, process tree)", (f) => f.idleRssMb.toFixed(0)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const columns = systems.map((s) => s.name.padStart(28)).join("");
  process.stdout.write(`\n${"".padEnd(width)}${columns}\n`);
  for (const [label, value] of rows) {
    const cells = systems.map((s) => {
      const f = figures.get(s);
      const text = f ? value(f) : "-";
      return (text === "NaN" ? "-" : text).padStart(28);
    });
    process.stdout.write(`${label.padEnd(width)}${cells.join("")}\n`);
  }
  const scaleout = systems.find((s) => s.name.startsWith("scaleout"));
  const haproxy = systems.find((s) => s.name.startsWith("HAProxy"));
  const s = scaleout && figures.get(scaleout);
  const h = haproxy && figures.get(haproxy);
  if (!s) return;
  process.stdout.write("\n");
  const line = (ok: boolean, text: string) => process.stdout.write(`${ok ? "PASS" : "MISS"} ${text}\n`);
  if (h && rowKinds.has("stream")) {
    const r1 = s.mbPerSecond1 / h.mbPerSecond1;
    const r8 = s.mbPerSecond8 / h.mbPerSecond8;
    line(r1 >= 0.8, `MB/s over 1 connection ≥ 0.8× HAProxy: ${r1.toFixed(2)}×`);
    line(r8 >= 0.8, `MB/s over 8 connections ≥ 0.8× HAProxy: ${r8.toFixed(2)}×`);
  }
  if (h && rowKinds.has("rate")) {
    const rc = s.connectionsPerSecond / h.connectionsPerSecond;
    line(rc >= 0.5, `connections/s ≥ 0.5× HAProxy: ${rc.toFixed(2)}×`);
  }
  if (rowKinds.has("idle")) {
    line(
      s.idleKbEach <= 4 && s.idleOpen === idleCount,
      `≤ 4 KB per idle connection at ${idleCount}: ${s.idleKbEach.toFixed(2)} KB (${s.idleOpen} held)`,
    );
    line(
      s.idleKbMarginal <= 4 && s.idleOpen === idleCount,
      `≤ 4 KB per idle connection, second half alone: ${s.idleKbMarginal.toFixed(2)} KB`,
    );
  }
}

await main();
