#!/usr/bin/env node
// The two commands of the README, runnable on a fresh clone with nothing but Node.js:
//   npm start  installs what is missing, then starts api, worker and proxy (scripts/start.ts builds them)
//   npm test   installs what is missing, then runs lint, type check and the test suites
// Both run on Node.js 24 from the npm registry (packages/node-runtime), whatever node runs this file;
// SCALEOUT_NODE=system keeps the machine's node (the one running this file), SCALEOUT_NODE=/path/to/node
// names another.
// Plain JavaScript on purpose: it runs before any dependency is installed, on Node.js 20 or later.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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

/**
 * The node the apps and tests run on: Node.js 24 from packages/node-runtime by default, which needs no
 * download beyond the npm registry and ships its headers for native builds; the machine's node when
 * SCALEOUT_NODE=system (or where no Node 24 package exists for this platform); any node by path.
 */
function runtime() {
  const choice = process.env.SCALEOUT_NODE ?? "24";
  if (choice === "system") return { node: process.execPath, label: "system" };
  if (choice !== "24") {
    if (!existsSync(choice)) {
      log(`SCALEOUT_NODE=${choice}: no such file; use 24, system or the path of a node binary`);
      process.exit(2);
    }
    return { node: choice, label: choice };
  }
  const node = join(
    root,
    "packages",
    "node-runtime",
    "node_modules",
    `node-${process.platform}-${process.arch}`,
    "bin",
    "node",
  );
  if (existsSync(node)) return { node, label: "24" };
  log(
    `no Node.js 24 package for ${process.platform}-${process.arch} on the npm registry: running on this node`,
  );
  return { node: process.execPath, label: "system" };
}

function nodeVersions(node) {
  if (node === process.execPath) return { node: process.version, modules: process.versions.modules };
  const out = spawnSync(
    node,
    ["-p", "JSON.stringify({ node: process.version, modules: process.versions.modules })"],
    {
      encoding: "utf8",
    },
  );
  if (out.status !== 0) {
    log(`${node} does not run: ${out.stderr || out.error}`);
    process.exit(1);
  }
  return JSON.parse(out.stdout);
}

/** The ABI a native addon was built for, from the registration symbol NODE_MODULE_INIT exports. */
function addonAbi(file) {
  const match = /node_register_module_v(\d+)/.exec(readFileSync(file).toString("latin1"));
  return match ? match[1] : undefined;
}

/**
 * node-gyp: the one npm hands its scripts, else pnpm's or npm's own copy (both ship it), so no download.
 */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (onPath("pnpm")) {
    const pnpmBin = spawnSync("sh", ["-c", "command -v pnpm"], { encoding: "utf8" }).stdout.trim();
    candidates.push(
      join(dirname(realpathSync(pnpmBin)), "..", "dist", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  }
  candidates.push(
    join(
      dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  );
  return candidates.find((file) => file && existsSync(file));
}

/**
 * better-sqlite3's binding must match the ABI of the node that loads it (115 for Node 20, 137 for 24).
 * One binding per ABI lives where its loader (`bindings`) looks after build/Release:
 * lib/binding/node-v<ABI>-<platform>-<arch>/, so npm test on Node 24 and SCALEOUT_NODE=system on Node 20
 * share one install without rebuilding each time. The install's own build/Release binding moves there
 * (the loader would stop at it and throw for the other ABI); a missing one is built once with node-gyp
 * under that node and against its own headers (the Node 24 package ships them; Debian's node has them
 * under /usr/include/node), offline.
 */
function ensureSqliteBinding(node, abi) {
  const link = join(root, "node_modules", "better-sqlite3");
  if (!existsSync(link)) return;
  const dir = realpathSync(link);
  const slot = (forAbi) => join(dir, "lib", "binding", `node-v${forAbi}-${process.platform}-${process.arch}`);
  const built = join(dir, "build", "Release", "better_sqlite3.node");
  const adopt = () => {
    // rename, not copy: the file may be a hard link into pnpm's store shared with other checkouts.
    // ENOENT: a bootstrap started beside this one (a test of npm start) moved it first.
    try {
      const builtAbi = addonAbi(built);
      if (!builtAbi) return;
      mkdirSync(slot(builtAbi), { recursive: true });
      if (existsSync(join(slot(builtAbi), "better_sqlite3.node"))) unlinkSync(built);
      else renameSync(built, join(slot(builtAbi), "better_sqlite3.node"));
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  };
  if (existsSync(built)) adopt();
  if (existsSync(join(slot(abi), "better_sqlite3.node"))) return;

  const gyp = nodeGyp();
  if (!gyp) {
    log("better-sqlite3 has no binding for this node and node-gyp was not found (npm or pnpm ship it)");
    process.exit(1);
  }
  const env = runtimeEnv(node);
  const prefix = dirname(dirname(realpathSync(node)));
  if (existsSync(join(prefix, "include", "node", "node.h"))) env.npm_config_nodedir = prefix;
  log(`building better-sqlite3 for node ABI ${abi} (node-gyp, once per ABI; a minute or more)...`);
  const started = Date.now();
  if (run(node, [gyp, "rebuild", "--release"], { cwd: dir, env }) !== 0 || !existsSync(built)) {
    log("building better-sqlite3 failed");
    process.exit(1);
  }
  adopt();
  log(`built better-sqlite3 for ABI ${abi} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The environment of everything we start: `node` on PATH is the runtime, for scripts that spawn it by name. */
function runtimeEnv(node) {
  return { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
}

/** Runs a long-lived child and hands it our signals, so Ctrl-C reaches it once and we exit with it. */
function supervise(cmd, cmdArgs, env) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: "inherit", env });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

installIfNeeded();
ensureRedis();
const { node, label } = runtime();
const versions = nodeVersions(node);
// Said by npm test only: a refused npm start answers in one line (README), and its apps are the proof.
if (command === "test") log(`running on Node.js ${versions.node} (SCALEOUT_NODE=${label})`);
ensureSqliteBinding(node, versions.modules);
const env = runtimeEnv(node);
if (command === "start") {
  // start.ts builds the bundles itself, after checking that no other start holds the port or data dir.
  // tsx as a loader in this node process, not its CLI: the CLI relays a signal through a second process
  // and SIGKILLs the child when it does not acknowledge within 30 ms (a loaded machine), orphaning the
  // supervisor's processes instead of stopping them in order.
  supervise(node, ["--import", "tsx", join(root, "scripts", "start.ts"), ...args], env);
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
  log(`unknown command '${command}': use start or test`);
  process.exit(2);
}
