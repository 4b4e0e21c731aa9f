// Shared by the benchmarks: wrk runs, /proc readings, child processes. Loopback only.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "s" ? n * 1000 : n;
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** One wrk run against a loopback URL. */
export function wrk(url: string, connections: number, seconds: number, extra: string[] = []): WrkResult {
  const run = spawnSync("wrk", wrkArgs(url, connections, seconds, extra), { encoding: "utf8" });
  return parseWrk(run.stdout);
}

function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { requestsPerSecond: rps, requests, p50Ms: p50, p99Ms: p99, errors };
}

/** The wrk command line; extra carries e.g. `-H "Connection: close"`. */
function wrkArgs(url: string, connections: number, seconds: number, extra: string[]): string[] {
  if (!/^http:\/\/127\.0\.0\.([1-9]):\d+/.test(url))
    throw new Error(`refusing to load anything but loopback: ${url}`);
  return ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", ...extra, url];
}

/**
 * One wrk run that leaves the event loop free, so the caller can read /proc while the load is on
 * (sockets held at c200 are only visible during the run). `during` runs every half second until wrk
 * exits (often enough that a 1 s smoke run still samples, rarely enough to leave the cores to the load).
 */
export function wrkAsync(
  url: string,
  connections: number,
  seconds: number,
  extra: string[] = [],
  during?: () => void,
): Promise<WrkResult> {
  const child = spawn("wrk", wrkArgs(url, connections, seconds, extra), {
    stdio: ["ignore", "pipe", "ignore"],
  });
  started.push(child);
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
  });
  const sampler = during ? setInterval(during, 500) : undefined;
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", () => {
      clearInterval(sampler);
      resolve(parseWrk(out));
    });
  });
}

/** utime + stime of a process and its children that are still alive, in µs. */
export function cpuMicros(pids: number[]): number {
  const { user, kernel } = cpuSplitMicros(pids);
  return user + kernel;
}

/**
 * utime and stime apart, in µs: the time the processes ran their own code, and the time the kernel
 * ran on their behalf (system calls: a write on loopback also runs the receiving side's TCP work).
 */
export function cpuSplitMicros(pids: number[]): { user: number; kernel: number } {
  let user = 0;
  let kernel = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      user += Number(fields[11]);
      kernel += Number(fields[12]);
    } catch {
      // gone
    }
  }
  // Clock ticks of 1/100 s (USER_HZ).
  return { user: user * 10_000, kernel: kernel * 10_000 };
}

export function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** RSS of each process, in MB (a worker's own figure, beside the sum over the tree). */
export function rssMbEach(pids: number[]): number[] {
  return pids.map((pid) => rssMb([pid])).filter((mb) => mb > 0);
}

/**
 * ESTABLISHED TCP sockets that these processes hold to any of `remotePorts` on loopback: the socket
 * inodes behind /proc/<pid>/fd, looked up in /proc/net/tcp{,6} (one table for the network namespace,
 * so the fds say which rows are the proxy's). Threads and forked workers sharing a socket count it once.
 */
export function establishedTo(pids: number[], remotePorts: number[]): number {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set(remotePorts);
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const remote = fields[2];
      const state = fields[3];
      const inode = fields[9];
      if (!remote || state !== "01" || !inode || !inodes.has(inode)) continue;
      const port = Number.parseInt(remote.slice(remote.lastIndexOf(":") + 1), 16);
      if (ports.has(port)) count++;
    }
  }
  return count;
}

/** The pid and every descendant (nginx's workers, tsx's node). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // raced with exit
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // Bounded: a listener that accepts and never answers (a worker that died behind it) must not
      // hang the bench past the deadline below.
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const started: ChildProcess[] = [];

/**
 * Starts a process of the bench, stopped with the others at exit. Its stdout is dropped unless
 * BENCH_STDOUT is set (e.g. to read `--trace-gc-nvp` given in BENCH_NODE_ARGS); stderr is the bench's.
 */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const stdout = process.env.BENCH_STDOUT ? "inherit" : "ignore";
  const child = spawn(command, args, { env, stdio: ["ignore", stdout, "inherit"] });
  started.push(child);
  return child;
}

/** Stops every process this benchmark started, by pid. */
export function stopAll(): void {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}
