// The api benchmark of issue 2 (bench/api/README.md): a read-heavy mix of list and describe calls, one
// registration of 1,000 targets, and the api's memory afterwards. It prints; it never fails on a miss.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type PrivateRedis, startPrivateRedis } from "@scaleout/queue";

const root = join(import.meta.dirname, "..", "..");
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const registrationRuns = 5;
const targets = { readsPerSecond: 3000, registrationMs: 200, rssMiB: 150 };

interface Api {
  child: ChildProcess;
  base: string;
}

async function startApi(dataDir: string, redisUrl: string): Promise<Api> {
  const port = await freePort();
  // The shipped command (scripts/start.ts): the bundle, with the api's small young generation.
  // BENCH_NODE_ARGS replaces the flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/api-prof" to profile.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "--max-semi-space-size=2").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, "dist", "api.mjs")], {
    cwd: root,
    env: {
      ...process.env,
      SCALEOUT_API_HOST: "127.0.0.1",
      SCALEOUT_API_PORT: String(port),
      SCALEOUT_DATA_DIR: dataDir,
      REDIS_URL: redisUrl,
      SCALEOUT_API_TOKEN: "",
      // The server's own default; BENCH_LOG_LEVEL=warn shows what request logging costs.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the api exited with ${child.exitCode}:\n${errors}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { child, base };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the api did not answer within 30 s:\n${errors}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** 20 load balancers with a listener and 5 rules each, 50 ip target groups with 10 targets each. */
async function seed(base: string): Promise<string[]> {
  const groups: Array<{ name: string; arn: string }> = [];
  for (let i = 0; i < 50; i++) {
    const name = `tg-${String(i).padStart(2, "0")}`;
    const tg = await call(base, "POST", "/v1/target-groups", {
      name,
      protocol: "HTTP",
      port: 80,
      targetType: "ip",
      healthCheckPath: "/health",
    });
    groups.push({ name, arn: String(tg.targetGroupArn) });
    await call(base, "POST", `/v1/target-groups/${name}/targets`, {
      targets: Array.from({ length: 10 }, (_, t) => ({ id: `127.0.${i}.${t + 1}`, port: 9000 })),
    });
  }
  const listenerIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `lb-${String(i).padStart(2, "0")}`;
    await call(base, "POST", "/v1/load-balancers", { name });
    const listener = await call(base, "POST", `/v1/load-balancers/${name}/listeners`, {
      protocol: "HTTP",
      port: 20000 + i,
      defaultActions: [{ type: "forward", targetGroupArn: groups[i]?.arn }],
    });
    const listenerId = String(listener.listenerArn).split("/").pop() ?? "";
    listenerIds.push(listenerId);
    for (let r = 1; r <= 5; r++) {
      await call(base, "POST", `/v1/listeners/${listenerId}/rules`, {
        priority: r * 10,
        conditions: [{ field: "path-pattern", values: [`/svc${r}/*`] }],
        // A target group belongs to one load balancer: each gets one of its own, the other rules answer.
        actions:
          r === 1
            ? [{ type: "forward", targetGroupArn: groups[20 + i]?.arn }]
            : [
                {
                  type: "fixed-response",
                  fixedResponseConfig: { statusCode: "200", messageBody: `rule ${r}` },
                },
              ],
      });
    }
  }
  // The read mix: lists and describes, weighted toward the describes a client polls.
  const paths = ["/v1/load-balancers", "/v1/target-groups"];
  for (let i = 0; i < 20; i++) {
    const tg = `tg-${String(i * 2).padStart(2, "0")}`;
    paths.push(
      `/v1/target-groups/${tg}`,
      `/v1/target-groups/${tg}/health`,
      `/v1/listeners/${listenerIds[i]}/rules`,
      `/v1/load-balancers/lb-${String(i).padStart(2, "0")}`,
    );
  }
  return paths;
}

function hasWrk(): boolean {
  return spawnSync("sh", ["-c", "command -v wrk"], { stdio: "ignore" }).status === 0;
}

/** wrk with a Lua script that walks the mix; answers requests/s and the count of non-2xx answers. */
function loadWithWrk(
  base: string,
  paths: string[],
  dir: string,
): { rps: number; errors: number; tool: string } {
  const script = join(dir, "mix.lua");
  writeFileSync(
    script,
    `local paths = { ${paths.map((p) => JSON.stringify(p)).join(", ")} }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
`,
  );
  const result = spawnSync(
    "wrk",
    ["-t1", `-c${concurrency}`, `-d${durationSeconds}s`, "--latency", "-s", script, base],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1] ?? Number.NaN);
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  const p99 = /^\s+99%\s+(\S+)/m.exec(result.stdout)?.[1];
  return { rps, errors, tool: `wrk -t1 -c${concurrency} -d${durationSeconds}s${p99 ? `, p99 ${p99}` : ""}` };
}

/** The fallback without wrk: `concurrency` loops of keep-alive fetches (undici) for the same duration. */
async function loadWithFetch(
  base: string,
  paths: string[],
): Promise<{ rps: number; errors: number; tool: string }> {
  const deadline = performance.now() + durationSeconds * 1000;
  let done = 0;
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const path = paths[next++ % paths.length] ?? "/healthz";
        const response = await fetch(`${base}${path}`);
        await response.arrayBuffer();
        if (!response.ok) errors++;
        done++;
      }
    }),
  );
  return {
    rps: done / durationSeconds,
    errors,
    tool: `fetch loop, ${concurrency} concurrent, ${durationSeconds}s`,
  };
}

/** POSTs 1,000 loopback targets to a fresh ip group; answers the time of that one call. */
async function registerThousand(base: string, run: number): Promise<number> {
  const name = `bulk-${run}`;
  await call(base, "POST", "/v1/target-groups", { name, protocol: "HTTP", port: 80, targetType: "ip" });
  const body = JSON.stringify({
    targets: Array.from({ length: 1000 }, (_, i) => ({
      id: `127.1.${i >> 8}.${i & 255}`,
      port: 8000 + (i % 100),
    })),
  });
  const started = performance.now();
  const response = await fetch(`${base}/v1/target-groups/${name}/targets`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`registration answered ${response.status}`);
  return elapsed;
}

function memoryMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  // Measure the current sources: build the bundle npm start runs.
  if (spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" }).status !== 0) {
    throw new Error("scripts/build.mjs failed");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "scaleout-bench-api-"));
  let redis: PrivateRedis | undefined;
  let api: Api | undefined;
  try {
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      redis = await startPrivateRedis();
      redisUrl = redis.url;
    }
    api = await startApi(dataDir, redisUrl);
    const pid = api.child.pid ?? 0;
    console.log(`api pid ${pid} on ${api.base}, data in ${dataDir}; seeding...`);
    const paths = await seed(api.base);
    // Warm up: JIT, statement caches.
    for (const path of paths) await call(api.base, "GET", path);

    const load = hasWrk() ? loadWithWrk(api.base, paths, dataDir) : await loadWithFetch(api.base, paths);
    const rssAfterLoad = memoryMiB(pid, "VmRSS");

    const runs: number[] = [];
    for (let run = 0; run < registrationRuns; run++) runs.push(await registerThousand(api.base, run));
    const registration = median(runs);
    const rss = memoryMiB(pid, "VmRSS");
    const peak = memoryMiB(pid, "VmHWM");

    const rows: Array<[string, string, string, boolean]> = [
      [
        `reads/s (${paths.length} list/describe paths; ${load.tool})`,
        load.rps.toFixed(0),
        `>= ${targets.readsPerSecond}`,
        load.rps >= targets.readsPerSecond && load.errors === 0,
      ],
      [
        `POST of 1,000 targets, median of ${registrationRuns} (${runs.map((r) => r.toFixed(0)).join(", ")} ms)`,
        `${registration.toFixed(0)} ms`,
        `< ${targets.registrationMs} ms`,
        registration < targets.registrationMs,
      ],
      [
        `api RSS after the load (${rssAfterLoad.toFixed(0)} MiB before the registrations; peak ${peak.toFixed(0)} MiB)`,
        `${rss.toFixed(0)} MiB`,
        `< ${targets.rssMiB} MB`,
        rss < targets.rssMiB,
      ],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(`\n${"measure".padEnd(width)}  ${"value".padStart(9)}  ${"target".padStart(10)}  result`);
    for (const [what, value, target, pass] of rows) {
      console.log(
        `${what.padEnd(width)}  ${value.padStart(9)}  ${target.padStart(10)}  ${pass ? "PASS" : "MISS"}`,
      );
    }
    if (load.errors > 0) console.log(`\n${load.errors} reads were answered with a non-2xx status`);
  } finally {
    if (api && api.child.exitCode === null) {
      const exited = new Promise((resolve) => api?.child.once("exit", resolve));
      api.child.kill("SIGTERM");
      const timer = setTimeout(() => api?.child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
