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
  const steps = [
    ["lint (biome)", bin("biome"), ["check", "."]],
    ["type check (tsc)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
    ["tests (vitest)", bin("vitest"), ["run", ...args]],
  ];
  for (const [name, cmd, cmdArgs] of steps) {
    log(`${name}...`);
    const status = run(cmd, cmdArgs, { env });
    if (status !== 0) {
      log(`${name} failed`);
      process.exit(status);
    }
  }
} else {
  log(`unknown command '${command}': use start, stop-instances or test`);
  process.exit(2);
}
