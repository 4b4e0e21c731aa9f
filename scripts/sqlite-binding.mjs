// better-sqlite3's native binding must match the ABI of the node that loads it (115 for Node 20, 137
// for 24), and npm test runs on both (SCALEOUT_NODE). Plain JavaScript on purpose: scripts/bootstrap.mjs
// calls it before anything runs on the chosen node.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { nodeEnv } from "./node-runtime.mjs";

/** The ABI a native addon was built for, from the registration symbol NODE_MODULE_INIT exports. */
export function addonAbi(file) {
  const match = /node_register_module_v(\d+)/.exec(readFileSync(file).toString("latin1"));
  return match ? match[1] : undefined;
}

/** node-gyp: the one npm hands its scripts, else pnpm's or npm's own copy (both ship it), so no download. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  const pnpm = spawnSync("sh", ["-c", "command -v pnpm"], { encoding: "utf8" }).stdout.trim();
  if (pnpm)
    candidates.push(
      join(dirname(realpathSync(pnpm)), "..", "dist", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    );
  const npmModules = join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules");
  candidates.push(join(npmModules, "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((file) => file && existsSync(file));
}

/**
 * Node 24.19.0 made `node::ObjectWrap` (a header better-sqlite3 12 compiles in) register an environment
 * cleanup hook and remove it in its destructor, but the registry that lets the destructor find its
 * environment outside a JavaScript context only came with 24.22.0 (nodejs/node#63985). A binding built
 * against 24.19+ headers (ours: the packaged Node 24's) therefore aborts on 24.19-24.21 with
 * `Assertion failed: (env) != nullptr` in Statement::~Statement whenever a statement outlives the
 * environment: reproduced on 24.21.0 at every process.exit() with live statements (the proxy's workers
 * end that way), never on 24.22.3. better-sqlite3 13 (N-API) avoids it but requires Node-API 10, which no
 * Node 20 has (13.2.0 segfaults on 20.20.2), so we stay on 12 while engines admits Node 20.
 */
export function abortsWithObjectWrap(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major === 24 && minor >= 19 && minor <= 21;
}

/**
 * One binding per ABI lives where better-sqlite3's loader (`bindings`) looks after build/Release:
 * lib/binding/node-v<ABI>-<platform>-<arch>/, so runs on Node 24 and on the machine's Node 20 share one
 * install without rebuilding each time. The install's own build/Release binding moves there (the loader
 * would stop at it and throw for the other ABI); a missing one is built once with node-gyp under that
 * node and against its own headers (the Node 24 package ships them; Debian's node has them in
 * /usr/include/node), offline: about 60 s of CPU each (ABI 115: 61.5 s; ABI 137: 61.8 s, and 196 s while
 * three other helpers loaded the two cores).
 */
export function ensureSqliteBinding(root, node, abi, log, version = "") {
  if (abortsWithObjectWrap(version))
    log(
      `warning: Node.js ${version} aborts better-sqlite3 12 at exit ((env) != nullptr, fixed in 24.22.0): use SCALEOUT_NODE=24 (the packaged 24.22) or Node.js >= 24.22`,
    );
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
  const env = nodeEnv(node);
  const prefix = dirname(dirname(realpathSync(node)));
  if (existsSync(join(prefix, "include", "node", "node.h"))) env.npm_config_nodedir = prefix;
  log(`building better-sqlite3 for node ABI ${abi} (node-gyp, once per ABI; a minute or more)...`);
  const started = Date.now();
  const result = spawnSync(node, [gyp, "rebuild", "--release"], { cwd: dir, env, stdio: "inherit" });
  if (result.status !== 0 || !existsSync(built)) {
    log(`building better-sqlite3 failed${result.error ? `: ${result.error.message}` : ""}`);
    process.exit(1);
  }
  adopt();
  log(`built better-sqlite3 for ABI ${abi} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
