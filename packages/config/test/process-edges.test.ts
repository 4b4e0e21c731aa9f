import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const edgesModule = join(import.meta.dirname, "..", "src", "process-edges.ts");

/** Runs a script that installs the guards and then does `body`; `ipc`: with a supervisor's channel. */
function run(
  body: string,
  options: { ipc?: boolean; orphanStopTimeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const script = `import { guardProcess } from ${JSON.stringify(edgesModule)}; guardProcess("proxy", ${options.orphanStopTimeoutMs ?? 15_000}); ${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
    });
    // The supervisor going away: once the app is up, close the channel as a dying parent would.
    if (options.ipc) child.stderr?.once("data", () => child.disconnect());
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

it("an uncaught exception is logged with its stack and exits 1, the summary last", async () => {
  const { code, stderr } = await run(
    `setTimeout(() => { throw new TypeError("Invalid character in header content"); }, 1); setInterval(() => {}, 1000);`,
  );
  expect(code).toBe(1);
  expect(stderr).toMatch(/TypeError: Invalid character in header content\n\s+at /);
  expect(stderr.trimEnd().split("\n").at(-1)).toBe(
    "proxy: uncaught exception: TypeError: Invalid character in header content; exiting",
  );
});

it("an unhandled rejection exits 1 even though the process has work left", async () => {
  const { code, stderr } = await run(`Promise.reject(new Error("lost")); setInterval(() => {}, 1000);`);
  expect(code).toBe(1);
  expect(stderr.trimEnd().split("\n").at(-1)).toBe("proxy: unhandled rejection: Error: lost; exiting");
});

it("an app stops as on SIGTERM when its supervisor's channel closes, and exits without a final flush", async () => {
  const { signal, stderr } = await run(
    `process.once("SIGTERM", () => { process.stderr.write("draining\\n"); process.exit(0); }); process.stderr.write("up\\n"); setInterval(() => {}, 1000);`,
    { ipc: true },
  );
  // Its graceful stop ran; then the exit hook ended it before any logger's flush could hang on EPIPE.
  expect(signal).toBe("SIGKILL");
  expect(stderr).toBe("up\ndraining\n");
});

it("an app whose stop hangs after its supervisor is gone is killed after the stop timeout", async () => {
  const started = Date.now();
  const { signal, stderr } = await run(
    `process.once("SIGTERM", () => process.stderr.write("draining forever\\n")); process.stderr.write("up\\n"); setInterval(() => {}, 1000);`,
    { ipc: true, orphanStopTimeoutMs: 300 },
  );
  expect(signal).toBe("SIGKILL");
  expect(stderr).toBe("up\ndraining forever\n");
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
});
