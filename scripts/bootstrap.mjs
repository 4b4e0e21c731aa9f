#!/usr/bin/env node
// The two commands of the README, runnable on a fresh clone with nothing but Node.js:
//   npm start  installs what is missing, then starts api, worker and proxy (scripts/start.ts builds them)
//   npm test   installs what is missing, then runs lint, type check and the test suites
// Both run on Node.js 24 from the npm registry (packages/node-runtime), whatever node runs this file;
// SCALEOUT_NODE=system keeps the machine's node (the one running this file), SCALEOUT_NODE=/path/to/node
// names another.
// Plain JavaScript on purpose: it runs before any dependency is installed, on Node.js 20 or later.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chooseNode, nodeEnv, nodeVersions } from "./node-runtime.mjs";
import { ensureSqliteBinding } from "./sqlite-binding.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pnpmVersion = "10.34.9";
const [command = "start", ...args] = process.argv.slice(2);

function log(message) {
  process.stderr.write(`[scaleout] ${message}\n`);
}

function onPath(binary) {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" }).status === 0;
}

function run(cmd, cmdArgs, options = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** pnpm from PATH, else through npx (Corepack cannot fetch it on machines without network). */
function pnpm() {
  if (onPath("pnpm")) {
    const version = spawnSync("pnpm", ["--version"], { encoding: "utf8" }).stdout.trim();
    if (version.startsWith("10.")) return { cmd: "pnpm", pre: [] };
  }
  return { cmd: "npx", pre: ["--yes", `pnpm@${pnpmVersion}`] };
}

function installIfNeeded() {
  const marker = join(root, "node_modules", ".pnpm", "lock.yaml");
  const lock = join(root, "pnpm-lock.yaml");
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  log("installing dependencies (pnpm install --frozen-lockfile)...");
  const { cmd, pre } = pnpm();
  if (run(cmd, [...pre, "install", "--frozen-lockfile"]) !== 0) {
    log("pnpm install failed");
    process.exit(1);
  }
}

/** Redis is the one server the system needs; offer to install it where we can (Debian, as root). */
function ensureRedis() {
  if (process.env.REDIS_URL || onPath("redis-server")) return;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && onPath("apt-get")) {
    log("REDIS_URL is not set and redis-server is missing: installing Debian's redis-server...");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (run("apt-get", ["install", "-y", "-q", "redis-server"], { env }) !== 0) {
      run("apt-get", ["update", "-q"], { env });
      run("apt-get", ["install", "-y", "-q", "redis-server"], { env });
    }
  }
  if (!onPath("redis-server")) {
    log("REDIS_URL is not set and no redis-server is on PATH: set REDIS_URL or install redis-server.");
    process.exit(1);
  }
}

const bin = (name) => join(root, "node_modules", ".bin", name);

/** Runs a long-lived child and hands it our signals, so Ctrl-C reaches it once and we exit with it. */
function supervise(cmd, cmdArgs, env) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * Runs the lanes at once, each a list of commands run one after another until one fails, each line of
 * their output prefixed with the lane's name so the reports stay apart; answers the names of the
 * commands that failed. A signal to this process reaches every running command.
 */
async function runBeside(lanes, env) {
  const running = new Set();
  for (const signal of ["SIGINT", "SIGTERM"])
    process.on(signal, () => {
      for (const child of running) child.kill(signal);
    });
  const runLane = async ([lane, commands]) => {
    for (const [name, cmd, cmdArgs] of commands) {
      log(`${name}...`);
      const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env });
      running.add(child);
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        let rest = "";
        from.setEncoding("utf8");
        from.on("data", (text) => {
          const lines = (rest + text).split("\n");
          rest = lines.pop() ?? "";
          if (lines.length > 0) to.write(lines.map((line) => `${lane} │ ${line}\n`).join(""));
        });
        from.on("end", () => {
          if (rest !== "") to.write(`${lane} │ ${rest}\n`);
        });
      }
      const ok = await new Promise((resolve) => {
        child.on("error", () => resolve(false));
        child.on("close", (code) => resolve(code === 0));
      });
      running.delete(child);
      if (!ok) return [name];
    }
    return [];
  };
  return (await Promise.all(lanes.map(runLane))).flat();
}

installIfNeeded();
ensureRedis();
const { node, label } = chooseNode(root, process.env.SCALEOUT_NODE ?? "24", log);
const versions = nodeVersions(node, log);
// Said by npm test only: a refused npm start answers in one line (README), and its apps are the proof.
if (command === "test") log(`running on Node.js ${versions.node} (SCALEOUT_NODE=${label})`);
ensureSqliteBinding(root, node, versions.modules, log, versions.node);
const env = nodeEnv(node);
if (command === "start") {
  // start.ts builds the bundles itself, after checking that no other start holds the port or data dir.
  // tsx as a loader in this node process, not its CLI: the CLI relays a signal through a second process
  // and SIGKILLs the child when it does not acknowledge within 30 ms (a loaded machine), orphaning the
  // supervisor's processes instead of stopping them in order.
  supervise(node, ["--import", "tsx", join(root, "scripts", "start.ts"), ...args], env);
} else if (command === "stop-instances") {
  supervise(node, ["--import", "tsx", join(root, "scripts", "stop-instances.ts"), ...args], env);
} else if (command === "test") {
  // SCALEOUT_STATIC_CHECKS=skip: the tests alone, for a second pass on another node (.ci/run), where
  // lint and type check would only repeat the first pass's verdict on the same sources.
  const staticChecks =
    process.env.SCALEOUT_STATIC_CHECKS === "skip"
      ? []
      : [
          ["lint (biome)", bin("biome"), ["check", "."]],
          ["type check (tsc)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
        ];
  const vitest = bin("vitest");
  if (args.length > 0) {
    // Arguments (files, filters, options) make it one run of exactly what they say, after the checks.
    for (const [name, cmd, cmdArgs] of [...staticChecks, ["tests (vitest)", vitest, ["run", ...args]]]) {
      log(`${name}...`);
      const status = run(cmd, cmdArgs, { env });
      if (status !== 0) {
        log(`${name} failed`);
        process.exit(status);
      }
    }
    process.exit(0);
  }
  // The whole suite (vitest.config.ts) as two vitest runs side by side, one file at a time each: the
  // system files (whole systems, CPU measurements) in one, the unit and integration files in the other.
  // A system file thus never runs beside another system file, only beside a lighter one.
  // Each run uses one fork that keeps its module graph (fastify, drizzle, the AWS SDK clients) from
  // file to file instead of importing it afresh for each (--no-isolate): alone on this machine the
  // unit and integration files took 628 s with isolation, 256 s of it importing, and take 308 s with
  // 20 s without; the system files spent 57-72 s a pass importing in CI, and 16 s without isolation
  // (754 s for all of them, alone). A file must therefore leave nothing behind that the next could see:
  // it closes its servers and stops its processes, restores what it changes in process.env, and state a
  // helper module keeps (apps/api/test/helpers.ts's shared app) is switched to each test's own.
  // Lint and type check (~55 s, most of it tsc) go first in that lighter lane, not before both.
  log("tests: system files beside lint, type check, unit and integration files (two lanes)...");
  const failed = await runBeside(
    [
      [
        "system",
        [["system tests (vitest)", vitest, ["run", "--project", "system", "--maxWorkers=1", "--no-isolate"]]],
      ],
      [
        "tests",
        [
          ...staticChecks,
          [
            "unit and integration tests (vitest)",
            vitest,
            ["run", "--project", "unit", "--project", "integration", "--maxWorkers=1", "--no-isolate"],
          ],
        ],
      ],
    ],
    env,
  );
  for (const name of failed) log(`${name} failed`);
  process.exit(failed.length > 0 ? 1 : 0);
} else {
  log(`unknown command '${command}': use start, stop-instances or test`);
  process.exit(2);
}
