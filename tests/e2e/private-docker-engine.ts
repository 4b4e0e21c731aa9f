// A Docker engine of the swarm test's own (its own socket, data root and exec root in a temp directory),
// started like .ci/run starts the shared one: vfs storage, no iptables, no bridge. The swarm test makes its
// engine a swarm manager, and test files run side by side: on the shared engine, any file beside it that
// detects its driver (or a user's `npm run stop-instances`) would see a swarm manager for a while. dockerd
// needs root, so elsewhere the test falls back to the shared engine (see the README's test section).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectEngine } from "@scaleout/compute";

export interface PrivateEngine {
  /** The engine's `unix://` address, for DOCKER_HOST and the drivers' `host`. */
  host: string;
  /** Milliseconds from spawn to the engine answering. */
  startMs: number;
  /** SIGTERM to this dockerd (by pid), SIGKILL after `timeoutMs`; then its directory goes. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Whether this machine lets a test start its own dockerd: root, and dockerd on PATH. */
export function canStartPrivateEngine(): boolean {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return false;
  return spawnSync("sh", ["-c", "command -v dockerd"], { stdio: "ignore" }).status === 0;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/** Starts a private dockerd and resolves once it answers (or rejects with its log after `timeoutMs`). */
export async function startPrivateEngine(timeoutMs = 30_000): Promise<PrivateEngine> {
  const dir = mkdtempSync(join(tmpdir(), "scaleout-engine-"));
  const socket = join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const logFile = join(dir, "log");
  const log = openSync(logFile, "a");
  const started = Date.now();
  const child = spawn(
    "dockerd",
    [
      "--storage-driver=vfs",
      "--iptables=false",
      "--bridge=none",
      "-H",
      host,
      "--data-root",
      join(dir, "root"),
      "--exec-root",
      join(dir, "exec"),
      "--pidfile",
      join(dir, "docker.pid"),
    ],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  const stop = async (stopTimeoutMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited(child);
      clearTimeout(timer);
    }
    // dockerd leaves the host's network namespace bind-mounted under its exec root (exec/netns/default,
    // once a host-network container ran): unmount what lies under this directory, then remove it.
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter((path) => path.startsWith(`${dir}/`))
      .reverse();
    for (const path of mounts) spawnSync("umount", [path], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };
  const failure = (why: string) => {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
    return new Error(`the swarm test's own dockerd ${why}:\n${tail}`);
  };
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const error = failure(`exited (${child.signalCode ?? `code ${child.exitCode}`})`);
      await stop();
      throw error;
    }
    if ((await detectEngine({ host, timeoutMs: 1_000 })) !== "none")
      return { host, startMs: Date.now() - started, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const error = failure(`did not answer within ${timeoutMs} ms`);
  await stop();
  throw error;
}
