// bench/proxy large bodies: 1 MiB responses (GET) and 1 MiB uploads (POST) through a plain node pipe
// proxy (the floor) and scaleout's proxy, c8 by default, over the same two targets, in one run.
// Usage: npx tsx bench/proxy/large.ts [--seconds 5] [--repeats 3] [--connections 8] [--bundle dist/x.mjs]
// [--baseline dist/y.mjs] [--only responses|uploads]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@scaleout/queue";
import { proxyNodeFlags } from "../../apps/proxy/src/process-settings.ts";
import { cpuMicros, median, processTree, start, stopAll, waitForHttp, wrk } from "../lib/measure.ts";
import { writeRegistry } from "./systems.ts";

const args = process.argv.slice(2);
const value = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const seconds = Number(value("seconds") ?? 5);
const repeats = Number(value("repeats") ?? 3);
const connections = Number(value("connections") ?? 8);
const root = join(import.meta.dirname, "..", "..");
const bundle = value("bundle") ?? join(root, "dist", "proxy.mjs");
const baseline = value("baseline");
const work = mkdtempSync(join(tmpdir(), "scaleout-bench-large-"));

const [targetA, targetB, pipePort] = [await freePort(), await freePort(), await freePort()];
for (const port of [targetA, targetB])
  start(process.execPath, [join(import.meta.dirname, "large-target.cjs"), String(port)]);
const pipe = start(process.execPath, [
  join(import.meta.dirname, "pipe-proxy.cjs"),
  String(pipePort),
  String(targetA),
  String(targetB),
]);

const nodeArgs = (process.env.BENCH_NODE_ARGS ?? proxyNodeFlags.join(" ")).split(" ").filter(Boolean);
const variants: Array<{ name: string; port: number; pid: number | undefined }> = [
  { name: "node pipe proxy", port: pipePort, pid: pipe.pid },
];
for (const [name, file] of [
  ["scaleout", bundle],
  ...(baseline ? [["scaleout baseline", baseline]] : []),
] as Array<[string, string]>) {
  const port = await freePort();
  const dataDir = join(work, name.replace(" ", "-"));
  writeRegistry(dataDir, port, [targetA, targetB], 0);
  const child = start(process.execPath, [...nodeArgs, file], {
    ...process.env,
    SCALEOUT_DATA_DIR: dataDir,
    REDIS_URL: "",
    NODE_ENV: "production",
  });
  variants.push({ name, port, pid: child.pid });
}
await Promise.all(
  [targetA, targetB, ...variants.map((v) => v.port)].map((p) => waitForHttp(`http://127.0.0.1:${p}/`)),
);
await new Promise((r) => setTimeout(r, 1500));

// wrk sends a 1 MiB POST body from a Lua script.
const upload = join(work, "upload.lua");
writeFileSync(upload, `wrk.method = "POST"\nwrk.body = string.rep("x", 1048576)\n`);
console.log(`\nbench/proxy/large: wrk -t1 -c${connections}, ${seconds} s x ${repeats} (median)\n`);
console.log("| variant | load | MiB/s | p99 ms | CPU us per MiB | errors |\n|---|---|---:|---:|---:|---:|");
// --only responses|uploads: one of the two loads (e.g. to profile it alone).
const only = value("only");
for (const [load, extra] of (
  [
    ["1 MiB responses", []],
    ["1 MiB uploads", ["-s", upload]],
  ] as Array<[string, string[]]>
).filter(([load]) => only === undefined || load.endsWith(only))) {
  for (const variant of variants) {
    const url = `http://127.0.0.1:${variant.port}/`;
    wrk(url, connections, 1, extra);
    const runs = [];
    for (let i = 0; i < repeats; i++) {
      const pids = variant.pid ? processTree(variant.pid) : [];
      const before = cpuMicros(pids);
      const result = wrk(url, connections, seconds, extra);
      runs.push({ ...result, cpu: (cpuMicros(pids) - before) / result.requests });
    }
    console.log(
      `| ${variant.name} | ${load} | ${median(runs.map((r) => r.requestsPerSecond)).toFixed(0)} | ${median(runs.map((r) => r.p99Ms)).toFixed(1)} | ${median(runs.map((r) => r.cpu)).toFixed(0)} | ${runs.reduce((a, r) => a + r.errors, 0)} |`,
    );
  }
}
stopAll();
