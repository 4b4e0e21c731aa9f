// bench/proxy: the same wrk load against one target directly, nginx over two targets, and scaleout's
// proxy over the same two targets behind a listener with 10 rules. Prints req/s, p50, p99, proxy CPU
// per request and RSS, each as a ratio to nginx. Usage: npx tsx bench/proxy/run.ts [--seconds 10] [--repeats 3]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { limitsFor } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { freePort } from "@scaleout/queue";
import { createContext, createServices } from "@scaleout/services";
import {
  cpuMicros,
  hasCommand,
  median,
  processTree,
  rssMb,
  start,
  stopAll,
  waitForHttp,
  wrk,
} from "../lib/measure.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const seconds = option("seconds", 10);
// --bundle <file>: measure another build of the proxy (e.g. a saved dist/proxy.mjs) instead of the current sources.
const bundleIndex = args.indexOf("--bundle");
const bundle = bundleIndex === -1 ? undefined : args[bundleIndex + 1];
const repeats = option("repeats", 3);
// --connections 50,200: the wrk concurrencies to run.
const connectionsIndex = args.indexOf("--connections");
const concurrencies = (connectionsIndex === -1 ? "50,200" : (args[connectionsIndex + 1] ?? "50,200"))
  .split(",")
  .map(Number);
const root = join(import.meta.dirname, "..", "..");

for (const command of ["wrk", "nginx"]) {
  if (!hasCommand(command)) {
    console.error(`${command} is not on PATH (Debian: apt-get install -y wrk nginx-light)`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), "scaleout-bench-proxy-"));
const [targetA, targetB, nginxPort, proxyPort] = [
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
];
for (const port of [targetA, targetB])
  start(process.execPath, [join(import.meta.dirname, "target.cjs"), String(port)]);

// nginx: one worker, upstream keep-alive (as in ../shared/research/proxy-baselines.md).
writeFileSync(
  join(work, "nginx.conf"),
  `worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream targets { server 127.0.0.1:${targetA}; server 127.0.0.1:${targetB}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
);
const nginx = start("nginx", ["-c", join(work, "nginx.conf"), "-p", work, "-g", "daemon off;"]);

// --baseline <file>: also run another build of the proxy (e.g. main's dist/proxy.mjs saved before a change)
// beside this one, on its own listener over the same targets, so both figures come from the same run.
const baselineIndex = args.indexOf("--baseline");
const baseline = baselineIndex === -1 ? undefined : args[baselineIndex + 1];
const baselinePort = await freePort();

/** A registry whose load balancer's listener has 10 path rules before the default rule. */
function writeRegistry(dataDir: string, listenerPort: number): void {
  const handle = createDb(join(dataDir, "scaleout.db"));
  runMigrations(handle.db);
  const services = createServices(createContext(handle.db, { limits: limitsFor(true) }));
  services.loadBalancers.create({ name: "bench" });
  const { targetGroup } = services.targetGroups.create({
    name: "bench-tg",
    protocol: "HTTP",
    port: 80,
    targetType: "ip",
    healthCheckIntervalSeconds: 5,
  });
  const listener = services.listeners.create("bench", {
    protocol: "HTTP",
    port: listenerPort,
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.targetGroupArn }],
  });
  for (let i = 1; i <= 10; i++) {
    services.rules.create(listener.listenerArn, {
      priority: i,
      conditions: [{ field: "path-pattern", values: [`/rule${i}/*`] }],
      actions: [
        {
          type: "fixed-response",
          fixedResponseConfig: { statusCode: "200", contentType: "text/plain", messageBody: `rule ${i}` },
        },
      ],
    });
  }
  services.targetGroups.register("bench-tg", [
    { id: "127.0.0.1", port: targetA },
    { id: "127.0.0.1", port: targetB },
  ]);
  handle.close();
}
const dataDir = join(work, "scaleout");
writeRegistry(dataDir, proxyPort);
// The shipped command: the bundle npm start runs (built here, so the bench measures the current sources).
if (!bundle) {
  const built = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build.mjs failed");
}
// BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/proxy-prof", profiles the proxy under the load.
// The default is the shipped command's flags (scripts/start.ts).
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "--max-semi-space-size=8").split(" ").filter(Boolean);
// BENCH_PROXY_NODE: another node binary for the proxies (e.g. Node 24, with a bundle whose dist/ resolves a
// better-sqlite3 built for it). BENCH_BASELINE_ENV="SCALEOUT_PROXY_WORKERS=1 ...": environment of the
// baseline proxy alone, so one build is measured under two settings in the same run.
const proxyNode = process.env.BENCH_PROXY_NODE || process.execPath;
const baselineEnv = Object.fromEntries(
  (process.env.BENCH_BASELINE_ENV ?? "")
    .split(" ")
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);
const proxy = start(proxyNode, [...nodeArgs, bundle ?? join(root, "dist", "proxy.mjs")], {
  ...process.env,
  SCALEOUT_DATA_DIR: dataDir,
  REDIS_URL: "",
  NODE_ENV: "production",
});

const baselineDataDir = join(work, "baseline");
let baselineProxy: ReturnType<typeof start> | undefined;
if (baseline) {
  writeRegistry(baselineDataDir, baselinePort);
  baselineProxy = start(proxyNode, [...nodeArgs, baseline], {
    ...process.env,
    ...baselineEnv,
    SCALEOUT_DATA_DIR: baselineDataDir,
    REDIS_URL: "",
    NODE_ENV: "production",
  });
}

await Promise.all(
  [targetA, targetB, nginxPort, proxyPort, ...(baseline ? [baselinePort] : [])].map((port) =>
    waitForHttp(`http://127.0.0.1:${port}/`),
  ),
);
// Both targets healthy before measuring: the first check runs at start.
await new Promise((r) => setTimeout(r, 1500));

interface Row {
  name: string;
  c: number;
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number | undefined;
  rss: number | undefined;
  errors: number;
}

const variants: Array<{ name: string; url: string; pid?: number }> = [
  { name: "direct (one target)", url: `http://127.0.0.1:${targetA}/` },
  {
    name: "nginx (1 worker, keepalive)",
    url: `http://127.0.0.1:${nginxPort}/`,
    ...(nginx.pid && { pid: nginx.pid }),
  },
  {
    name: "scaleout proxy (10 rules)",
    url: `http://127.0.0.1:${proxyPort}/`,
    ...(proxy.pid && { pid: proxy.pid }),
  },
  ...(baselineProxy
    ? [
        {
          name: "scaleout baseline (10 rules)",
          url: `http://127.0.0.1:${baselinePort}/`,
          ...(baselineProxy.pid && { pid: baselineProxy.pid }),
        },
      ]
    : []),
];
const rows: Row[] = [];
for (const c of concurrencies) {
  for (const variant of variants) {
    wrk(variant.url, c, 2); // warm-up: JIT, keep-alive pools
    const runs = [];
    for (let i = 0; i < repeats; i++) {
      const pids = variant.pid ? processTree(variant.pid) : [];
      const cpuBefore = cpuMicros(pids);
      const result = wrk(variant.url, c, seconds);
      const cpu = cpuMicros(pids) - cpuBefore;
      runs.push({
        ...result,
        cpuPerRequest: pids.length ? cpu / result.requests : undefined,
        rss: pids.length ? rssMb(pids) : undefined,
      });
      process.stderr.write(
        `${variant.name} c${c} run ${i + 1}: ${result.requestsPerSecond.toFixed(0)} req/s\n`,
      );
    }
    rows.push({
      name: variant.name,
      c,
      rps: median(runs.map((r) => r.requestsPerSecond)),
      p50: median(runs.map((r) => r.p50Ms)),
      p99: median(runs.map((r) => r.p99Ms)),
      cpuPerRequest:
        runs[0]?.cpuPerRequest === undefined ? undefined : median(runs.map((r) => r.cpuPerRequest ?? 0)),
      rss: runs[0]?.rss === undefined ? undefined : Math.max(...runs.map((r) => r.rss ?? 0)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  }
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);
console.log(
  `\nbench/proxy: wrk -t1, ${seconds} s x ${repeats} (median), 100-byte JSON targets, ${new Date().toISOString()}\n`,
);
console.log(
  "| variant | c | req/s | x nginx | p50 ms | p99 ms | x nginx p99 | CPU us/req | x nginx | RSS MB | errors |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  const ng = rows.find((r) => r.c === row.c && r.name.startsWith("nginx"));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "-" : (a / b).toFixed(2);
  console.log(
    `| ${row.name} | ${row.c} | ${fmt(row.rps, 0)} | ${ratio(row.rps, ng?.rps)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${ratio(row.p99, ng?.p99)} | ${fmt(row.cpuPerRequest)} | ${ratio(row.cpuPerRequest, ng?.cpuPerRequest)} | ${fmt(row.rss)} | ${row.errors} |`,
  );
}
const ours = rows.find((r) => r.c === 50 && r.name.startsWith("scaleout"));
const theirs = rows.find((r) => r.c === 50 && r.name.startsWith("nginx"));
if (ours && theirs) {
  const check = (label: string, ok: boolean, detail: string) =>
    console.log(`${ok ? "PASS" : "MISS"}  ${label}: ${detail}`);
  console.log("\nTargets (issue 3):");
  check(
    "req/s at c50 >= 0.45 x nginx",
    ours.rps >= 0.45 * theirs.rps,
    `${(ours.rps / theirs.rps).toFixed(2)} x`,
  );
  check("p99 at c50 <= 2 x nginx", ours.p99 <= 2 * theirs.p99, `${(ours.p99 / theirs.p99).toFixed(2)} x`);
  check("RSS < 150 MB", (ours.rss ?? 0) < 150, `${fmt(ours.rss)} MB`);
}
for (const c of concurrencies) {
  const now = rows.find((r) => r.c === c && r.name.startsWith("scaleout proxy"));
  const before = rows.find((r) => r.c === c && r.name.startsWith("scaleout baseline"));
  if (!now || !before) continue;
  const ok = now.rps >= 0.95 * before.rps;
  console.log(
    `${ok ? "PASS" : "MISS"}  req/s at c${c} within 5 % of the baseline build or better: ${fmt(now.rps, 0)} vs ${fmt(before.rps, 0)} (${(now.rps / before.rps).toFixed(2)} x); CPU us/req ${fmt(now.cpuPerRequest)} vs ${fmt(before.cpuPerRequest)}`,
  );
}
stopAll();
rmSync(work, { recursive: true, force: true });
