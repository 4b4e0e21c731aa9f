// bench/tls: TLS termination, scaleout's proxy (one worker) beside nginx (one worker) with the same
// certificate and security policy over the same two targets, in alternating runs: HTTPS requests per
// second over keep-alive connections, new TLS handshakes per second (a new connection per request), and
// HTTP/2 requests per second over 10 streams a connection. Prints medians, CPU per unit and the ratios
// to nginx against issue 11's targets. See README.md.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "node:tls";
import { parseArgs } from "node:util";
import { freePort } from "@scaleout/queue";
import { proxyNodeFlags } from "../../apps/proxy/src/process-settings.ts";
import { cpuMicros, hasCommand, median, processTree, start, stopAll } from "../lib/measure.ts";
import { makeCertificate, startTlsNginx, startTlsScaleout, type TlsSystem } from "./systems.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string" },
    repeats: { type: "string" },
    bundle: { type: "string" },
    baseline: { type: "string" },
    // The node the proxy runs on: 24 (npm start's, packages/node-runtime), system (this one), or a path.
    node: { type: "string", default: "24" },
    quick: { type: "boolean", default: false },
    policy: { type: "string", default: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
    key: { type: "string", default: "rsa" },
    rows: { type: "string" },
  },
});
const number = (value: string | undefined, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${value}`);
  return n;
};
const seconds = number(flags.seconds, flags.quick ? 3 : 10);
const repeats = number(flags.repeats, flags.quick ? 1 : 3);
const warmupSeconds = flags.quick ? 1 : 2;
const key = flags.key === "ec" ? "ec" : "rsa";
const root = join(import.meta.dirname, "..", "..");
const log = (line: string) => process.stderr.write(`${line}\n`);

for (const [command, install] of [
  ["wrk", "apt-get install -y wrk"],
  ["nginx", "apt-get install -y nginx-light"],
  ["h2load", "apt-get install -y nghttp2-client"],
  ["openssl", "apt-get install -y openssl"],
]) {
  if (!hasCommand(command ?? "")) {
    console.error(`${command} is not on PATH (Debian: ${install})`);
    process.exit(1);
  }
}

interface Row {
  id: string;
  label: string;
  unit: "request" | "connection";
  /** The issue's target as a ratio to nginx with one worker, if it sets one. */
  target: number | undefined;
  run(port: number): Promise<Load>;
}

interface Load {
  rate: number;
  done: number;
  errors: number;
}

/** Only loopback: every load this bench makes goes to 127.0.0.1. */
const url = (port: number) => `https://127.0.0.1:${port}/`;

function collect(command: string, args: string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("close", () => resolvePromise(out));
  });
}

async function wrk(port: number, connections: number, duration: number, extra: string[]): Promise<Load> {
  const out = await collect("wrk", ["-t1", `-c${connections}`, `-d${duration}s`, ...extra, url(port)]);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    done: Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN),
    errors: non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

async function h2load(port: number, duration: number): Promise<Load> {
  const out = await collect("h2load", ["-t1", "-c10", "-m10", "-D", String(duration), url(port)]);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
      out,
    );
  const protocol = /Application protocol: (\S+)/.exec(out)?.[1];
  if (protocol !== undefined && protocol !== "h2") log(`  h2load negotiated ${protocol}, not h2`);
  return {
    rate: Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN),
    done: Number(requests?.[3] ?? Number.NaN),
    errors: Number(requests?.[5] ?? 0) + Number(requests?.[6] ?? 0) + (protocol === "h2" ? 0 : 1),
  };
}

const allRows: Row[] = [
  {
    id: "ka50",
    label: "HTTPS keep-alive, c50 (wrk)",
    unit: "request",
    target: 0.5,
    run: (port) => wrk(port, 50, seconds, []),
  },
  {
    id: "handshake50",
    label: "new TLS connection per request, c50 (wrk, Connection: close)",
    unit: "connection",
    target: 0.7,
    run: (port) => wrk(port, 50, seconds, ["-H", "Connection: close"]),
  },
  {
    id: "h2",
    label: "HTTP/2, 10 connections x 10 streams (h2load)",
    unit: "request",
    target: undefined,
    run: (port) => h2load(port, seconds),
  },
];
const rows = allRows.filter((row) => !flags.rows || flags.rows.split(",").includes(row.id));

async function waitForTls(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolvePromise) => {
      const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
        socket.end();
        resolvePromise(true);
      });
      socket.setTimeout(2000, () => socket.destroy());
      socket.once("error", () => resolvePromise(false));
      socket.once("close", () => resolvePromise(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`port ${port} did not complete a handshake in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bundle = flags.bundle ? resolve(flags.bundle) : join(root, "dist", "proxy.mjs");
if (!flags.bundle) {
  const built = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build.mjs failed");
}
// npm start runs the proxy on Node 24 (its OpenSSL 3.5 handshakes cost ~1/3 less CPU than Node 20's
// OpenSSL 3.0 here), so the bench does too unless told otherwise.
const node24 = join(
  root,
  "packages",
  "node-runtime",
  "node_modules",
  `node-${process.platform}-${process.arch}`,
  "bin",
  "node",
);
const node =
  flags.node === "system"
    ? process.execPath
    : flags.node === "24"
      ? existsSync(node24)
        ? node24
        : process.execPath
      : resolve(flags.node);
const nodeVersion = spawnSync(
  node,
  ["-p", "process.version + ' (OpenSSL ' + process.versions.openssl + ')'"],
  {
    encoding: "utf8",
  },
).stdout.trim();
// The default is the shipped command's flags (apps/proxy/src/process-settings.ts).
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? proxyNodeFlags.join(" ")).split(" ").filter(Boolean);

const work = mkdtempSync(join(tmpdir(), "scaleout-bench-tls-"));
const targetPorts = [await freePort(), await freePort()];
for (const port of targetPorts)
  start(process.execPath, [join(import.meta.dirname, "..", "proxy", "target.cjs"), String(port)]);
const cert = makeCertificate(work, key);
const systems: TlsSystem[] = [
  await startTlsScaleout(work, targetPorts, cert, flags.policy, {
    bundle,
    node,
    nodeArgs,
    name: "scaleout w1",
    http2: true,
  }),
  await startTlsNginx(work, targetPorts, cert, flags.policy),
];
// --baseline FILE: another build at one worker on its own listener (HTTP/1.1 rows only), so before and
// after come from the same run.
if (flags.baseline)
  systems.push(
    await startTlsScaleout(work, targetPorts, cert, flags.policy, {
      bundle: resolve(flags.baseline),
      node,
      nodeArgs,
      name: "baseline w1",
      http2: false,
    }),
  );
await Promise.all(systems.map((s) => waitForTls(s.port)));
// Both targets healthy before measuring (the first check runs at start).
await new Promise((r) => setTimeout(r, 1500));

interface Measured {
  rate: number;
  cpuPerUnit: number;
  errors: number;
}

async function measure(system: TlsSystem, row: Row): Promise<Measured> {
  const pids = system.pid === undefined ? [] : processTree(system.pid);
  const before = cpuMicros(pids);
  const load = await row.run(system.port);
  const cpu = cpuMicros(pids) - before;
  return { rate: load.rate, cpuPerUnit: load.done > 0 ? cpu / load.done : Number.NaN, errors: load.errors };
}

const header = `bench/tls: ${seconds} s x ${repeats} (median), systems alternating run by run, policy ${flags.policy}, ${key === "rsa" ? "RSA 2048" : "ECDSA P-256"} certificate, proxy on node ${nodeVersion}, ${new Date().toISOString()}`;
log(header);
const results = new Map<string, Measured[]>();
for (const row of rows) {
  log(`${row.label}: warm-up`);
  const measured = systems.filter((s) => row.id !== "h2" || s.http2);
  for (const system of measured) {
    await (row.id === "h2" ? h2load(system.port, warmupSeconds) : wrk(system.port, 10, warmupSeconds, []));
  }
  for (let round = 0; round < repeats; round++) {
    // Each round starts one system further along, so load from elsewhere lands on both alike.
    for (let i = 0; i < measured.length; i++) {
      const system = measured[(round + i) % measured.length];
      if (!system) continue;
      const m = await measure(system, row);
      log(
        `  ${row.id} ${system.name}: ${m.rate.toFixed(0)}/s, ${m.cpuPerUnit.toFixed(1)} us CPU a ${row.unit}, ${m.errors} errors`,
      );
      const list = results.get(`${row.id} ${system.name}`) ?? [];
      list.push(m);
      results.set(`${row.id} ${system.name}`, list);
    }
  }
}

const print = (line: string) => console.log(line);
print("");
print(header);
print("");
print(
  `| row | ${systems.map((s) => `${s.name} /s`).join(" | ")} | ratio | ${systems.map((s) => `${s.name} CPU µs`).join(" | ")} | errors |`,
);
print(`|---|${systems.map(() => "---:").join("|")}|---:|${systems.map(() => "---:").join("|")}|---:|`);
const verdicts: string[] = [];
for (const row of rows) {
  const per = systems.map((s) => results.get(`${row.id} ${s.name}`) ?? []);
  const rates = per.map((runs) => (runs.length === 0 ? Number.NaN : median(runs.map((r) => r.rate))));
  const cpus = per.map((runs) => (runs.length === 0 ? Number.NaN : median(runs.map((r) => r.cpuPerUnit))));
  const errors = per.reduce((sum, runs) => sum + runs.reduce((a, r) => a + r.errors, 0), 0);
  const ratio = (rates[0] ?? Number.NaN) / (rates[1] ?? Number.NaN);
  print(
    `| ${row.label} | ${rates.map((r) => (Number.isFinite(r) ? Math.round(r).toLocaleString("en") : "-")).join(" | ")} | ${ratio.toFixed(2)}x | ${cpus.map((c) => (Number.isFinite(c) ? c.toFixed(1) : "-")).join(" | ")} | ${errors} |`,
  );
  if (row.target !== undefined)
    verdicts.push(
      `${ratio >= row.target ? "PASS" : "MISS"}  ${row.label}: scaleout >= ${row.target}x nginx 1 worker: ${ratio.toFixed(2)}x`,
    );
  else verdicts.push(`INFO  ${row.label}: scaleout ${ratio.toFixed(2)}x nginx 1 worker`);
  const baselineRate = rates[2];
  if (baselineRate !== undefined && Number.isFinite(baselineRate))
    verdicts.push(
      `BASE  ${row.label}: scaleout ${((rates[0] ?? Number.NaN) / baselineRate).toFixed(2)}x the baseline (CPU ${cpus[0]?.toFixed(1)} vs ${cpus[2]?.toFixed(1)} us)`,
    );
}
print("");
for (const line of verdicts) print(line);
stopAll();
rmSync(work, { recursive: true, force: true });
