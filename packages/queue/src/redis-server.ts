import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrivateRedis {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
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

/**
 * Starts a private `redis-server` from PATH on a free loopback port, with no persistence, for the one
 * command start and the tests. It stops with `stop()` or when this process exits.
 */
export async function startPrivateRedis(options: { logPrefix?: string } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "scaleout-redis-"));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--protected-mode",
        "yes",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      await waitForReady(child);
    } catch (error) {
      child.kill("SIGKILL");
      // Another process may have taken the port between freePort() and the bind: try another.
      if (attempt < 3 && (error as Error).message.includes("Address already in use")) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const stopOnExit = () => child.kill("SIGKILL");
    process.once("exit", stopOnExit);
    if (options.logPrefix)
      child.stderr?.on("data", (d: Buffer) => process.stderr.write(`${options.logPrefix}${d}`));
    return {
      url: `redis://127.0.0.1:${port}`,
      pid: child.pid,
      stop: () =>
        new Promise<void>((resolve) => {
          process.off("exit", stopOnExit);
          if (child.exitCode !== null || child.signalCode !== null) {
            rmSync(dir, { recursive: true, force: true });
            resolve();
            return;
          }
          child.once("exit", () => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill("SIGTERM");
        }),
    };
  }
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within 10 s:\n${output}`)),
      10_000,
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
