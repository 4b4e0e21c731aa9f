// Where a proxy process's memory goes, and what a memory setting costs in CPU: starts builds of the
// proxy (`--bundle`, `--baseline`) at each worker count and each set of node flags (`--variants`,
// separated by `;`), then, round after round with the systems alternating, runs wrk at c50 and c200 on
// each and reads its CPU per request (utime + stime of the process tree) and its RSS after c200. At the
// end it prints the medians and every process's memory after the last c200 run: RSS split into
// anonymous and file-backed pages, V8's heap used/committed by space, external memory and array
// buffers, read by the preloaded probe.mjs. Loopback only; every process it starts, it stops.
//
//   npx tsx bench/proxy-memory/run.ts [--seconds 8] [--rounds 2] [--bundle dist/proxy.mjs] [--baseline FILE]
//       [--workers 1,2] [--variants "--max-semi-space-size=8;--max-semi-space-size=2"]
//       [--baseline-flags "--max-semi-space-size=8"] [--snapshot] [--node PATH]
//
// A word of a variant of the form NAME=value (no leading `--`) goes into that system's environment
// instead of its node flags: `"MALLOC_ARENA_MAX=2 --max-semi-space-size=8"` (glibc reads it at exec).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "@scaleout/queue";
import { proxyNodeFlags } from "../../apps/proxy/src/process-settings.ts";
import {
  cpuMicros,
  establishedTo,
  median,
  processTree,
  rssMbEach,
  start,
  stopAll,
  waitForHttp,
  wrkAsync,
} from "../lib/measure.ts";
import { type System, startScaleout } from "../proxy/systems.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "2" },
    bundle: { type: "string" },
    baseline: { type: "string" },
    workers: { type: "string", default: `1,${availableParallelism()}` },
    // The default is the shipped command's flags (scripts/start.ts), as in bench/proxy.
    variants: {
      type: "string",
      default: process.env.BENCH_NODE_ARGS ?? proxyNodeFlags.join(" "),
    },
    // The baseline's own node flags (e.g. the shipped ones before a change), instead of --variants.
    "baseline-flags": { type: "string" },
    snapshot: { type: "boolean", default: false },
    // A new connection per request at c50 (bench/proxy's close50 row), after c200.
    close: { type: "boolean", default: false },
    // After c200, 1 MiB responses at c8 (bench/proxy's large8 row): the RSS after it and its CPU a MiB.
    large: { type: "boolean", default: false },
    // Another node binary to run the systems (and this script) on, e.g. Node 24's from the
    // node-runtime package: the systems are started with this script's own process.execPath.
    node: { type: "string" },
  },
  allowPositionals: false,
});
if (flags.node && resolve(flags.node) !== process.execPath) {
  const args = process.argv.slice(2).filter((a, i, all) => a !== "--node" && all[i - 1] !== "--node");
  const tsx = join(import.meta.dirname, "..", "..", "node_modules", "tsx", "dist", "cli.mjs");
  const rerun = spawnSync(
    resolve(flags.node),
    [tsx, import.meta.filename, ...args.filter((a) => !a.startsWith("--node="))],
    { stdio: "inherit" },
  );
  process.exit(rerun.status ?? 1);
}
const root = join(import.meta.dirname, "..", "..");
const seconds = Number(flags.seconds);
const rounds = Number(flags.rounds);
const bundle = flags.bundle ? resolve(flags.bundle) : join(root, "dist", "proxy.mjs");
if (!flags.bundle) {
  const built = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build.mjs failed");
}
const probe = join(import.meta.dirname, "probe.mjs");
const work = mkdtempSync(join(tmpdir(), "scaleout-proxy-memory-"));
process.env.PROXY_MEMORY_DIR = work;

const targets = [await freePort(), await freePort()];
for (const port of targets)
  start(process.execPath, [join(root, "bench", "proxy", "target.cjs"), String(port)]);

const builds = [
  { label: "current", bundle },
  ...(flags.baseline ? [{ label: "baseline", bundle: resolve(flags.baseline) }] : []),
];
const variants = flags.variants.split(";").map((v) => v.trim());
// The rows, in bench/proxy's order (its RSS figure is the largest process after any of them).
interface Row {
  id: string;
  connections: number;
  path: string;
  extra: string[];
}
const rows: Row[] = [
  { id: "c50", connections: 50, path: "/", extra: [] },
  { id: "c200", connections: 200, path: "/", extra: [] },
  ...(flags.close ? [{ id: "close50", connections: 50, path: "/", extra: ["-H", "Connection: close"] }] : []),
  ...(flags.large ? [{ id: "1MiB c8", connections: 8, path: "/1m", extra: [] }] : []),
];
interface Measured {
  system: System;
  /** Per row id: the rate, p99, CPU µs a request (a connection, a MiB), largest and summed RSS after it. */
  rate: Map<string, number[]>;
  cpu: Map<string, number[]>;
  p99: Map<string, number[]>;
  largest: Map<string, number[]>;
  sum: Map<string, number[]>;
  sockets: number[];
  requests: number;
}
const measured: Measured[] = [];
for (const b of builds)
  for (const workers of flags.workers.split(",").map(Number))
    for (const variant of b.label === "baseline" && flags["baseline-flags"] !== undefined
      ? [flags["baseline-flags"]]
      : variants) {
      const words = variant.split(" ").filter(Boolean);
      const isEnv = (w: string) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w);
      const nodeArgs = [...words.filter((w) => !isEnv(w)), `--import=${probe}`];
      const name = `${b.label} w${workers}${variant ? ` ${variant}` : ""}`;
      // startScaleout passes this process's environment on: set the variant's for the one spawn.
      const saved = { ...process.env };
      for (const w of words.filter(isEnv)) {
        const at = w.indexOf("=");
        process.env[w.slice(0, at)] = w.slice(at + 1);
      }
      // A variant names its environment itself (the shipped one is a variant like any other here).
      const system = await startScaleout(work, targets, {
        bundle: b.bundle,
        workers,
        name,
        nodeArgs,
        shippedEnv: false,
      });
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      measured.push({
        system,
        rate: new Map(),
        cpu: new Map(),
        p99: new Map(),
        largest: new Map(),
        sum: new Map(),
        sockets: [],
        requests: 0,
      });
    }
await Promise.all(
  [...targets, ...measured.map((m) => m.system.port)].map((p) => waitForHttp(`http://127.0.0.1:${p}/`)),
);
await new Promise((r) => setTimeout(r, 1500));

const mb = (n: number) => (n / 1048576).toFixed(1);
interface Report {
  pid: number;
  role: string;
  usage: NodeJS.MemoryUsage;
  anon: number;
  file: number;
  mallocked: number;
  peakMallocked: number;
  spaces: Record<string, { size: number; used: number }>;
  liveHeap?: number;
  gc: { minor: number; major: number; incremental: number; count: number };
}
let snapshotNext = false;
async function reports(pids: number[]): Promise<Report[]> {
  // The probe writes a heap snapshot too while this file exists.
  const marker = join(work, "snapshot");
  if (snapshotNext) writeFileSync(marker, "");
  for (const pid of pids) process.kill(pid, "SIGUSR2");
  await new Promise((r) => setTimeout(r, snapshotNext ? 8000 : 500));
  if (snapshotNext) rmSync(marker);
  return pids.flatMap((pid) => {
    try {
      return [JSON.parse(readFileSync(join(work, `${pid}.json`), "utf8")) as Report];
    } catch {
      return [];
    }
  });
}
function line(r: Report): string {
  const space = (name: string) => mb(r.spaces[name]?.size ?? 0);
  const live = r.liveHeap === undefined ? "" : ` live ${mb(r.liveHeap)}`;
  return `    ${r.role.padEnd(7)} rss ${mb(r.usage.rss)} (anon ${mb(r.anon)}, file ${mb(r.file)}) heap used ${mb(r.usage.heapUsed)} of ${mb(r.usage.heapTotal)} (new ${space("new_space")}, old ${space("old_space")}, code ${space("code_space")}, large ${space("large_object_space")})${live}, external ${mb(r.usage.external)}, arrayBuffers ${mb(r.usage.arrayBuffers)}, rest of anon ${mb(r.anon - r.usage.heapTotal - r.usage.external)} (V8 malloc ${mb(r.mallocked)}, peak ${mb(r.peakMallocked)})`;
}

console.log(
  `bench/proxy-memory: node ${process.version}, wrk ${seconds} s at c50 then c200, ${rounds} rounds alternating, ${new Date().toISOString()}`,
);
const idle = new Map<Measured, Report[]>();
for (const m of measured) idle.set(m, await reports(processTree(m.system.pid ?? 0)));
// In the last round, every process's report after each row: where the RSS went at that row.
const last = new Map<Measured, Map<string, Report[]>>();
const push = (map: Map<string, number[]>, id: string, value: number) =>
  map.set(id, [...(map.get(id) ?? []), value]);
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < measured.length; i++) {
    const m = measured[(i + round) % measured.length];
    if (!m) continue;
    const pid = m.system.pid ?? 0;
    const url = `http://127.0.0.1:${m.system.port}`;
    for (const row of rows) {
      let peak = 0;
      const before = cpuMicros(processTree(pid));
      const run = await wrkAsync(`${url}${row.path}`, row.connections, seconds, row.extra, () => {
        peak = Math.max(peak, establishedTo(processTree(pid), targets));
      });
      const after = cpuMicros(processTree(pid));
      // A request of the 1 MiB row is a MiB; of close50, a connection.
      push(m.cpu, row.id, (after - before) / Math.max(1, run.requests));
      push(m.rate, row.id, run.requestsPerSecond);
      push(m.p99, row.id, run.p99Ms);
      if (row.path === "/") m.requests += run.requests;
      if (row.id === "c200") m.sockets.push(peak);
      const each = rssMbEach(processTree(pid));
      push(m.largest, row.id, Math.max(...each));
      push(
        m.sum,
        row.id,
        each.reduce((a, b) => a + b, 0),
      );
      if (round === rounds - 1) {
        // The snapshot (a full GC first) only after the last row: it would change what the next row starts from.
        snapshotNext = flags.snapshot && row === rows[rows.length - 1];
        const byRow = last.get(m) ?? new Map<string, Report[]>();
        byRow.set(row.id, await reports(processTree(pid)));
        last.set(m, byRow);
      }
    }
  }
}
const med = (map: Map<string, number[]>, id: string) => median(map.get(id) ?? [0]);
for (const m of measured) {
  console.log(`${m.system.name}: upstream sockets at c200 ${median(m.sockets)}`);
  for (const row of rows) {
    const unit = row.id === "close50" ? "connection" : row.path === "/1m" ? "MiB" : "request";
    console.log(
      `  ${row.id.padEnd(8)} ${med(m.rate, row.id).toFixed(0)}/s, p99 ${med(m.p99, row.id).toFixed(2)} ms, CPU µs a ${unit} ${med(m.cpu, row.id).toFixed(1)}, RSS after it largest ${med(m.largest, row.id).toFixed(1)} MB, sum ${med(m.sum, row.id).toFixed(1)} MB`,
    );
  }
  const gcMs = (r: Report) => r.gc.minor + r.gc.major + r.gc.incremental;
  const gcCount = (r: Report) => r.gc.count;
  const final = [...(last.get(m)?.values() ?? [])].at(-1) ?? [];
  const spent = final.reduce((n, r) => n + gcMs(r), 0) - (idle.get(m) ?? []).reduce((n, r) => n + gcMs(r), 0);
  const count =
    final.reduce((n, r) => n + gcCount(r), 0) - (idle.get(m) ?? []).reduce((n, r) => n + gcCount(r), 0);
  console.log(
    `  GC during the runs: ${((spent * 1000) / m.requests).toFixed(1)} µs a small request (${m.requests} requests, ${count} collections, all rows)`,
  );
  console.log("  idle");
  for (const r of idle.get(m) ?? []) console.log(line(r));
  for (const [id, rs] of last.get(m) ?? []) {
    console.log(`  after the last ${id}`);
    for (const r of rs) console.log(line(r));
  }
}
if (flags.snapshot)
  console.log(
    `heap snapshots in ${work}: ${readdirSync(work)
      .filter((f) => f.endsWith(".heapsnapshot"))
      .join(" ")}`,
  );
stopAll();
process.exit(0);
