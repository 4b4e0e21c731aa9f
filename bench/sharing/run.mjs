#!/usr/bin/env node
// bench/sharing: how N node:http worker processes best share one port, measured without the proxy around
// it: SO_REUSEPORT (`reusePort`, Node >= 22.12, the kernel spreads connections) against node:cluster's round
// robin (the primary accepts and hands each connection over IPC). Each worker answers a 100-byte body.
// wrk -t1 against each mode in turn (alternating, median of the repeats); CPU is utime + stime of the
// primary and its workers from /proc. Usage: node bench/sharing/run.mjs [workers=2] [seconds=5] [repeats=3]
// Every request goes to 127.0.0.1; every process it starts is stopped by pid.
import { execFileSync, spawn } from "node:child_process";
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";

const body = JSON.stringify({ ok: true, pad: "x".repeat(80) });

if (cluster.isWorker) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  server.listen({
    port: Number(process.env.PORT),
    host: "127.0.0.1",
    reusePort: process.env.MODE === "reuseport",
  });
} else if (process.env.MODE) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  for (let i = 0; i < Number(process.env.WORKERS); i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const [workers = "2", seconds = "5", repeats = "3"] = process.argv.slice(2);
  const freePort = () =>
    new Promise((resolve) => {
      const s = createNetServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  const tree = (pid) => {
    const pids = [pid];
    for (const line of execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)])
      .toString()
      .split("\n"))
      if (line.trim()) pids.push(Number(line));
    return pids;
  };
  const cpu = (pids) =>
    pids.reduce((sum, pid) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return sum + (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks (100 Hz) to µs
      } catch {
        return sum;
      }
    }, 0);
  // c "50new": 50 connections, each request on a new one (Connection: close), where sharing costs most.
  const wrk = (port, c, s) => {
    const close = String(c).endsWith("new") ? ["-H", "Connection: close"] : [];
    const out = execFileSync("wrk", [
      "-t1",
      `-c${Number.parseInt(String(c), 10)}`,
      `-d${s}s`,
      "--latency",
      ...close,
      `http://127.0.0.1:${port}/`,
    ]).toString();
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
    const p99ms = p99 ? Number(p99[1]) * (p99[2] === "us" ? 0.001 : p99[2] === "s" ? 1000 : 1) : Number.NaN;
    return { rps, requests, p99ms };
  };
  const modes = ["reuseport", "cluster"];
  const started = {};
  for (const mode of modes) {
    const port = await freePort();
    const child = spawn(process.execPath, [import.meta.filename], {
      env: { ...process.env, MODE: mode, WORKERS: workers, PORT: String(port) },
      stdio: "inherit",
    });
    started[mode] = { port, child };
  }
  await new Promise((r) => setTimeout(r, 1500));
  const results = { reuseport: [], cluster: [] };
  for (const c of [50, 200, "50new"]) {
    for (const mode of modes) wrk(started[mode].port, c, 2); // warm-up
    for (let i = 0; i < Number(repeats); i++) {
      for (const mode of modes) {
        const pids = tree(started[mode].child.pid);
        const before = cpu(pids);
        const r = wrk(started[mode].port, c, seconds);
        results[mode].push({ c, ...r, cpuPerRequest: (cpu(pids) - before) / r.requests });
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `\nbench/sharing: node ${process.version}, ${workers} workers, wrk -t1, ${seconds} s x ${repeats}, ${new Date().toISOString()}`,
  );
  console.log("| mode | c | req/s | p99 ms | CPU us/req |\n|---|---:|---:|---:|---:|");
  for (const c of [50, 200, "50new"])
    for (const mode of modes) {
      const runs = results[mode].filter((r) => r.c === c);
      console.log(
        `| ${mode} | ${c} | ${median(runs.map((r) => r.rps)).toFixed(0)} | ${median(runs.map((r) => r.p99ms)).toFixed(2)} | ${median(runs.map((r) => r.cpuPerRequest)).toFixed(1)} |`,
      );
    }
  for (const { child } of Object.values(started)) child.kill("SIGTERM");
}
