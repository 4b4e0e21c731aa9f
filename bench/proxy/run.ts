// bench/proxy: the matrix of issue 10 (keep-alive c50 and c200, a new connection per request, 1 MiB
// responses) against scaleout's proxy at one worker and at one worker per core, nginx (1 worker and auto)
// and HAProxy (1 thread and one per core), all up at once over the same two targets and measured in
// alternating runs. Prints each system's figures, ratios and the targets. See README.md.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "@scaleout/queue";
import { proxyNodeFlags } from "../../apps/proxy/src/process-settings.ts";
import { hasCommand, processTree, start, stopAll, waitForHttp } from "../lib/measure.ts";
import { parseVariants } from "../lib/variants.ts";
import { runMatrix, scenarios } from "./matrix.ts";
import { Report } from "./report.ts";
import {
  buildKnowsWorkers,
  directTarget,
  type System,
  startHaproxy,
  startMinimal,
  startNginx,
  startScaleout,
  workersSetting,
} from "./systems.ts";
import { floodMemory, wafReport } from "./waf.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string" },
    repeats: { type: "string" },
    connections: { type: "string", default: "50,200" },
    bundle: { type: "string" },
    baseline: { type: "string" },
    quick: { type: "boolean", default: false },
    // A subset for development, e.g. --systems scaleout,nginx (kinds: scaleout, nginx, haproxy, direct,
    // min: bench/accept's minimal proxy on node:http, small rows only).
    systems: { type: "string", default: "scaleout,nginx,haproxy" },
    // A subset of rows, e.g. --rows ka50,close50 (ids: ka<c>, close50, large8).
    rows: { type: "string" },
    // Leaves out scaleout wN: a profile (BENCH_NODE_ARGS=--cpu-prof) of the one-worker build alone.
    "w1-only": { type: "boolean", default: false },
    // More one-worker copies of the current build with other node flags, to measure a flag (GC, JIT):
    // --variants "single-gc=--single-threaded-gc;semi16=--max-semi-space-size=16"; words NAME=value
    // (upper case) are settings in the environment instead: --variants "hdr=SCALEOUT_PROXY_WORKER_HEADER=1".
    variants: { type: "string" },
    // One more copy of the current build at one worker with the load balancer's access log on
    // (access_logs.s3.enabled, lines to <data dir>/logs/access.log): what logging every request costs.
    "with-access-log": { type: "boolean", default: false },
    // Every scaleout system (builds, baselines, variants) with the load balancer's access log on.
    "access-log": { type: "boolean", default: false },
    // One more copy of the current build at one worker with a 10-rule web ACL associated (waf.ts): its
    // throughput beside scaleout w1's, then its memory under a flood of 100,000 distinct source keys.
    waf: { type: "boolean", default: false },
    // The flood's distinct keys and seconds (with --waf).
    "flood-keys": { type: "string", default: "100000" },
    "flood-seconds": { type: "string", default: "20" },
    // One proxy process against two fed by the api, behind the same listener (bench/multi-proxy).
    "multi-proxy": { type: "boolean", default: false },
  },
});
if (flags["multi-proxy"]) {
  // Its own harness (an api, two `scaleout proxy --api` processes); --seconds and --repeats carry over.
  const args = ["bench/multi-proxy/run.ts"];
  if (flags.seconds) args.push("--seconds", flags.seconds);
  if (flags.repeats) args.push("--repeats", flags.repeats);
  const run = spawnSync(process.execPath, [...process.execArgv, ...args], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}
const number = (value: string | undefined, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${value}`);
  return n;
};
// --quick: a smoke run of the whole harness (every system, every row) in about two minutes; its
// figures are too short to judge anything by.
const seconds = number(flags.seconds, flags.quick ? 3 : 10);
const repeats = number(flags.repeats, flags.quick ? 1 : 3);
const warmupSeconds = flags.quick ? 1 : 2;
const kinds = new Set(flags.systems.split(","));
const rowFilter = flags.rows?.split(",");
const matrixRows = scenarios(flags.connections.split(",").map((c) => number(c, 50))).filter(
  (s) => !rowFilter || rowFilter.includes(s.id),
);
const cores = availableParallelism();
const root = join(import.meta.dirname, "..", "..");
const log = (line: string) => process.stderr.write(`${line}\n`);

const needed = [
  "wrk",
  ...(kinds.has("nginx") ? ["nginx"] : []),
  ...(kinds.has("haproxy") ? ["haproxy"] : []),
];
for (const command of needed) {
  if (!hasCommand(command)) {
    console.error(`${command} is not on PATH (Debian: apt-get install -y wrk nginx-light haproxy)`);
    process.exit(1);
  }
}

// The shipped command: the bundle npm start runs (built here, so the bench measures the current sources).
const bundle = flags.bundle ? resolve(flags.bundle) : join(root, "dist", "proxy.mjs");
if (!flags.bundle && kinds.has("scaleout")) {
  const built = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build.mjs failed");
}
// BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/proxy-prof", profiles the proxy under the load.
// The default is the shipped command's flags (scripts/start.ts).
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? proxyNodeFlags.join(" ")).split(" ").filter(Boolean);
const accessLog = flags["access-log"];

const work = mkdtempSync(join(tmpdir(), "scaleout-bench-proxy-"));
const targetPorts = [await freePort(), await freePort()];
for (const port of targetPorts)
  start(process.execPath, [join(import.meta.dirname, "target.cjs"), String(port)]);

const systems: System[] = [];
const push = (system: System): System => {
  systems.push(system);
  return system;
};
const scaleout = kinds.has("scaleout");
const oneWorker = scaleout
  ? push(
      await startScaleout(work, targetPorts, {
        bundle,
        workers: 1,
        name: "scaleout w1",
        nodeArgs,
        accessLog,
      }),
    )
  : undefined;
const allWorkers =
  scaleout && !flags["w1-only"]
    ? push(
        await startScaleout(work, targetPorts, {
          bundle,
          workers: cores,
          name: `scaleout w${cores}`,
          nodeArgs,
          accessLog,
        }),
      )
    : undefined;
// --baseline FILE[,FILE...]: other builds (e.g. main's dist/proxy.mjs saved before a change) at one worker,
// each on its own listener over the same targets, so before and after come from the same run. The first
// is "baseline w1", the one the PASS/MISS line compares with; more (earlier steps) are named by file.
const baselineFiles = scaleout && flags.baseline ? flags.baseline.split(",").map((f) => resolve(f)) : [];
const bundleOf = new Map<System, string>();
let baseline: System | undefined;
for (const [i, file] of baselineFiles.entries()) {
  const system = push(
    await startScaleout(work, targetPorts, {
      bundle: file,
      workers: 1,
      name: i === 0 ? "baseline w1" : `${basename(file, ".mjs")} w1`,
      nodeArgs,
      accessLog,
    }),
  );
  bundleOf.set(system, file);
  baseline ??= system;
}
for (const variant of scaleout ? parseVariants(flags.variants, nodeArgs) : []) {
  push(
    await startScaleout(work, targetPorts, {
      bundle,
      workers: 1,
      name: `${variant.name} w1`,
      nodeArgs: variant.nodeArgs,
      accessLog,
      env: variant.env,
    }),
  );
}
if (scaleout && flags["with-access-log"])
  push(
    await startScaleout(work, targetPorts, {
      bundle,
      workers: 1,
      name: "access log on w1",
      nodeArgs,
      accessLog: true,
    }),
  );
const wafSystem =
  scaleout && flags.waf
    ? push(
        await startScaleout(work, targetPorts, {
          bundle,
          workers: 1,
          name: "waf w1",
          nodeArgs,
          accessLog,
          waf: true,
        }),
      )
    : undefined;
const nginxOne = kinds.has("nginx")
  ? push(await startNginx(work, targetPorts, 1, "nginx 1 worker", cores))
  : undefined;
const nginxAuto = kinds.has("nginx")
  ? push(await startNginx(work, targetPorts, "auto", `nginx auto (${cores})`, cores))
  : undefined;
const haproxyOne = kinds.has("haproxy")
  ? push(await startHaproxy(work, targetPorts, 1, "HAProxy 1 thread"))
  : undefined;
const haproxyAll = kinds.has("haproxy")
  ? push(await startHaproxy(work, targetPorts, cores, `HAProxy ${cores} threads`))
  : undefined;
if (kinds.has("min")) push(await startMinimal(targetPorts, nodeArgs));
if (kinds.has("direct")) push(directTarget(targetPorts[0] ?? 0));

await Promise.all(
  [...targetPorts, ...systems.map((s) => s.port)].map((port) => waitForHttp(`http://127.0.0.1:${port}/`)),
);
// Both targets healthy before measuring (the first check runs at start), and every worker up.
await new Promise((r) => setTimeout(r, 1500));

const header: string[] = [
  `bench/proxy: wrk -t1, ${seconds} s × ${repeats} (median), systems alternating run by run, ${cores} cores, node ${process.version}, ${new Date().toISOString()}`,
  "targets: two single-threaded node:http servers (100-byte JSON on /, 1 MiB on /1m); scaleout: one listener with 10 path rules before the default forward",
];
for (const system of systems) {
  if (system.kind === "minimal" && system.note) header.push(`${system.name}: ${system.note}`);
  if (system.kind !== "scaleout" || system.pid === undefined) continue;
  const file = bundleOf.get(system) ?? bundle;
  const knows = buildKnowsWorkers(file);
  header.push(
    `${system.name}: ${workersSetting}=${system.workers}; the build ${knows ? "reads" : "does NOT read"} the setting; ${processTree(system.pid).length} process(es) at start`,
  );
  if (system.note) header.push(`  note: ${system.note}`);
}
for (const line of header) log(line);

const cells = await runMatrix({
  systems,
  scenarios: matrixRows,
  seconds,
  warmupSeconds,
  repeats,
  targetPorts,
  log,
});

const print = (line: string) => console.log(line);
print("");
for (const line of header) print(line);
const report = new Report(
  cells,
  systems,
  matrixRows,
  {
    oneWorker,
    allWorkers,
    baseline,
    nginxOne,
    nginxAuto,
    haproxyOne,
    haproxyAll,
  },
  print,
);
report.scenarioTables();
report.matrix();
report.ratios();
report.targets();
report.baseline();
if (wafSystem && oneWorker) {
  wafReport(cells, wafSystem, oneWorker, print);
  await floodMemory(
    wafSystem,
    work,
    number(flags["flood-keys"], 100_000),
    number(flags["flood-seconds"], 20),
    print,
  );
}
stopAll();
rmSync(work, { recursive: true, force: true });
