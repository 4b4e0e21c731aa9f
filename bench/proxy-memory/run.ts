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
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "@scaleout/queue";
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
      default: process.env.BENCH_NODE_ARGS ?? "--max-semi-space-size=8 --max-old-space-size=1024",
    },
    // The baseline's own node flags (e.g. the shipped ones before a change), instead of --variants.
    "baseline-flags": { type: "string" },
    snapshot: { type: "boolean", default: false },
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
if (flags.snapshot) process.env.PROXY_MEMORY_SNAPSHOT = "1";

const targets = [await freePort(), await freePort()];
for (const port of targets)
  start(process.execPath, [join(root, "bench", "proxy", "target.cjs"), String(port)]);

const builds = [
  { label: "current", bundle },
  ...(flags.baseline ? [{ label: "baseline", bundle: resolve(flags.baseline) }] : []),
];
const variants = flags.variants.split(";").map((v) => v.trim());
interface Measured {
  system: System;
  rps: number[];
  cpu50: number[];
  cpu200: number[];
  largest: number[];
  sum: number[];
  sockets: number[];
  largeRss: number[];
  largeCpu: number[];
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
      const system = await startScaleout(work, targets, { bundle: b.bundle, workers, name, nodeArgs });
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      measured.push({
        system,
        rps: [],
        cpu50: [],
        cpu200: [],
        largest: [],
        sum: [],
        sockets: [],
        largeRss: [],
        largeCpu: [],
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
  spaces: Record<string, { size: number; used: number }>;
  liveHeap?: number;
  gc: { minor: number; major: number; incremental: number; count: number };
}
async function reports(pids: number[]): Promise<Report[]> {
  for (const pid of pids) process.kill(pid, "SIGUSR2");
  await new Promise((r) => setTimeout(r, flags.snapshot ? 8000 : 500));
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
  return `    ${r.role.padEnd(7)} rss ${mb(r.usage.rss)} (anon ${mb(r.anon)}, file ${mb(r.file)}) heap used ${mb(r.usage.heapUsed)} of ${mb(r.usage.heapTotal)} (new ${space("new_space")}, old ${space("old_space")}, code ${space("code_space")}, large ${space("large_object_space")})${live}, external ${mb(r.usage.external)}, arrayBuffers ${mb(r.usage.arrayBuffers)}`;
}

console.log(
  `bench/proxy-memory: node ${process.version}, wrk ${seconds} s at c50 then c200, ${rounds} rounds alternating, ${new Date().toISOString()}`,
);
const idle = new Map<Measured, Report[]>();
for (const m of measured) idle.set(m, await reports(processTree(m.system.pid ?? 0)));
const last = new Map<Measured, Report[]>();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < measured.length; i++) {
    const m = measured[(i + round) % measured.length];
    if (!m) continue;
    const pid = m.system.pid ?? 0;
    const url = `http://127.0.0.1:${m.system.port}/`;
    let before = cpuMicros(processTree(pid));
    const c50 = await wrkAsync(url, 50, seconds);
    let after = cpuMicros(processTree(pid));
    m.cpu50.push((after - before) / c50.requests);
    m.requests += c50.requests;
    let peak = 0;
    before = after;
    const c200 = await wrkAsync(url, 200, seconds, [], () => {
      peak = Math.max(peak, establishedTo(processTree(pid), targets));
    });
    after = cpuMicros(processTree(pid));
    m.cpu200.push((after - before) / c200.requests);
    m.requests += c200.requests;
    m.rps.push(c200.requestsPerSecond);
    m.sockets.push(peak);
    const each = rssMbEach(processTree(pid));
    m.largest.push(Math.max(...each));
    m.sum.push(each.reduce((a, b) => a + b, 0));
    if (flags.large) {
      before = cpuMicros(processTree(pid));
      const large = await wrkAsync(`${url}1m`, 8, seconds);
      after = cpuMicros(processTree(pid));
      // One response is 1 MiB: requests are MiB.
      m.largeCpu.push((after - before) / Math.max(1, large.requests));
      m.largeRss.push(Math.max(...rssMbEach(processTree(pid))));
    }
    if (round === rounds - 1) last.set(m, await reports(processTree(pid)));
  }
}
for (const m of measured) {
  console.log(
    `${m.system.name}: c200 ${median(m.rps).toFixed(0)} req/s, CPU µs/request c50 ${median(m.cpu50).toFixed(1)} c200 ${median(m.cpu200).toFixed(1)}, RSS after c200 largest ${median(m.largest).toFixed(1)} MB, sum ${median(m.sum).toFixed(1)} MB, upstream sockets ${median(m.sockets)}`,
  );
  if (flags.large)
    console.log(
      `  1 MiB c8: CPU µs/MiB ${median(m.largeCpu).toFixed(0)}, RSS after it largest ${median(m.largeRss).toFixed(1)} MB`,
    );
  const gcMs = (r: Report) => r.gc.minor + r.gc.major + r.gc.incremental;
  const spent =
    (last.get(m) ?? []).reduce((n, r) => n + gcMs(r), 0) -
    (idle.get(m) ?? []).reduce((n, r) => n + gcMs(r), 0);
  console.log(
    `  GC during the runs: ${((spent * 1000) / m.requests).toFixed(1)} µs a request (${m.requests} requests)`,
  );
  console.log("  idle");
  for (const r of idle.get(m) ?? []) console.log(line(r));
  console.log(flags.large ? "  after the last 1 MiB run" : "  after the last c200");
  for (const r of last.get(m) ?? []) console.log(line(r));
}
if (flags.snapshot)
  console.log(
    `heap snapshots in ${work}: ${readdirSync(work)
      .filter((f) => f.endsWith(".heapsnapshot"))
      .join(" ")}`,
  );
stopAll();
process.exit(0);
