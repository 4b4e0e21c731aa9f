import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateRedis {
  /** The URL the clients use; carries the password when there is one, so never log it (use `address`). */
  url: string;
  /** `redis://127.0.0.1:<port>`, safe to log. */
  address: string;
  pid: number | undefined;
  /** Its working directory: `<dataDir>/redis`, or a temporary one that `stop()` removes. */
  dir: string;
  stop(): Promise<void>;
}

/** How one private redis-server runs; the same options start it again on the same port with the same data. */
export interface RedisServerOptions {
  port: number;
  /** Its working directory: the append-only file when `persist` is on. */
  dir: string;
  /** requirepass. Handed over on stdin, not the command line, so `ps` does not show it. */
  password?: string;
  /**
   * appendonly with fsync every second: BullMQ's queues survive a crash of redis-server (a restart on
   * the same dir reloads them). Off for throwaway servers (tests), which keep nothing on disk.
   */
  persist: boolean;
  /**
   * A process group of its own, so a terminal's Ctrl-C reaches only the supervisor, which stops Redis
   * last, after the processes that use it.
   */
  detached?: boolean;
}

/** A free loopback port: bind port 0, read it, release it. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The URL clients connect with; ioredis reads the password from its user-info part. */
export function privateRedisUrl(port: number, password?: string): string {
  return password === undefined
    ? `redis://127.0.0.1:${port}`
    : `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}

/** Spawns redis-server from PATH with `options`; resolve readiness with `waitForRedisReady`. */
export function spawnRedisServer(options: RedisServerOptions): ChildProcess {
  mkdirSync(options.dir, { recursive: true });
  const args = [
    // "-": read more configuration from stdin (the password), before the arguments below apply.
    "-",
    "--port",
    String(options.port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    options.persist ? "yes" : "no",
    "--appendfsync",
    "everysec",
    "--dir",
    options.dir,
    // Names the server to the next start should this one be orphaned (stopOrphanedRedis).
    "--pidfile",
    redisPidFile(options.dir),
    "--protected-mode",
    "yes",
  ];
  const child = spawn("redis-server", args, {
    stdio: ["pipe", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  // A spawn failure (ENOENT) surfaces on the child's "error"; the stdin write must not throw first.
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.password === undefined ? "" : `requirepass "${options.password}"\n`);
  return child;
}

export function redisPidFile(dir: string): string {
  return join(dir, "redis-server.pid");
}

/**
 * Stops a redis-server that a killed `npm start` left running on `dir` (named by its pid file, and
 * still a redis-server by /proc), so that the new one alone owns the append-only file. Answers the pid
 * it stopped. Where /proc is absent (not Linux) it finds nothing.
 */
export async function stopOrphanedRedis(dir: string, timeoutMs = 5_000): Promise<number | undefined> {
  const file = redisPidFile(dir);
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8").trim());
  } catch {
    return undefined;
  }
  const running = () => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("redis-server");
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 0 || !running()) {
    rmSync(file, { force: true });
    return undefined;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (running()) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pid;
}

/**
 * Starts a private `redis-server` from PATH on a free loopback port for the tests and tools. With
 * `dataDir` its files live (and stay) in `<dataDir>/redis` with persistence on; without, in a temporary
 * directory that is removed when it stops or this process exits. It stops with `stop()` or when this
 * process exits.
 */
export async function startPrivateRedis(
  options: { dataDir?: string; password?: string; logPrefix?: string } = {},
): Promise<PrivateRedis> {
  const temporary = options.dataDir === undefined;
  const dir = options.dataDir
    ? join(options.dataDir, "redis")
    : mkdtempSync(join(tmpdir(), "scaleout-redis-"));
  const removeDir = () => {
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawnRedisServer({
      port,
      dir,
      persist: !temporary,
      ...(options.password !== undefined && { password: options.password }),
    });
    try {
      await waitForRedisReady(child);
    } catch (error) {
      child.kill("SIGKILL");
      // Another process may have taken the port between freePort() and the bind: try another.
      if (attempt < 3 && (error as Error).message.includes("Address already in use")) continue;
      removeDir();
      throw error;
    }
    const stopOnExit = () => {
      child.kill("SIGKILL");
      removeDir();
    };
    process.once("exit", stopOnExit);
    if (options.logPrefix)
      child.stderr?.on("data", (d: Buffer) => process.stderr.write(`${options.logPrefix}${d}`));
    return {
      url: privateRedisUrl(port, options.password),
      address: privateRedisUrl(port),
      pid: child.pid,
      dir,
      stop: () =>
        new Promise<void>((resolve) => {
          process.off("exit", stopOnExit);
          if (child.exitCode !== null || child.signalCode !== null) {
            removeDir();
            resolve();
            return;
          }
          child.once("exit", () => {
            removeDir();
            resolve();
          });
          child.kill("SIGTERM");
        }),
    };
  }
}

/** Resolves when redis-server logs that it accepts connections; rejects with its output if it exits first. */
export function waitForRedisReady(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within ${timeoutMs / 1000} s:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new Error(
              "REDIS_URL is not set and no redis-server is on PATH. Set REDIS_URL to a running Redis, or install one (Debian: apt-get install -y redis-server).",
            )
          : error,
      );
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${output}`));
    });
  });
}
