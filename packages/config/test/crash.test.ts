import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const crashModule = join(import.meta.dirname, "..", "src", "crash.ts");

/** Runs a script that installs the handlers and then fails the way `body` does. */
function run(body: string): Promise<{ code: number | null; stderr: string }> {
  const script = `import { exitOnCrash } from ${JSON.stringify(crashModule)}; exitOnCrash("proxy"); ${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
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
