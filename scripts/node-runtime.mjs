// The node npm start and npm test run on (scripts/bootstrap.mjs): Node.js 24 from the npm registry
// (packages/node-runtime) by default, whatever node runs npm. Plain JavaScript on purpose: it runs before
// any dependency is installed, on Node.js 20 or later.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

/**
 * SCALEOUT_NODE: `24` (unset) the npm package, which needs no download beyond the npm registry and ships
 * its headers for native builds; `system` the node running this process (the machine's, under npm); or
 * the path of a node binary. Where the registry has no Node 24 package (macOS, Windows), the machine's.
 */
export function chooseNode(root, choice, log) {
  if (choice === "system") return { node: process.execPath, label: "system" };
  if (choice !== "24") {
    if (!existsSync(choice)) {
      log(`SCALEOUT_NODE=${choice}: no such file; use 24, system or the path of a node binary`);
      process.exit(2);
    }
    return { node: choice, label: choice };
  }
  const pkg = `node-${process.platform}-${process.arch}`;
  const node = join(root, "packages", "node-runtime", "node_modules", pkg, "bin", "node");
  if (existsSync(node)) return { node, label: "24" };
  log(
    `no Node.js 24 package for ${process.platform}-${process.arch} on the npm registry: running on this node`,
  );
  return { node: process.execPath, label: "system" };
}

/** Its version and native-addon ABI (process.versions.modules: 115 for Node 20, 137 for 24). */
export function nodeVersions(node, log) {
  if (node === process.execPath) return { node: process.version, modules: process.versions.modules };
  const script = "JSON.stringify({ node: process.version, modules: process.versions.modules })";
  const out = spawnSync(node, ["-p", script], { encoding: "utf8" });
  if (out.status !== 0) {
    log(`${node} does not run: ${out.stderr || out.error}`);
    process.exit(1);
  }
  return JSON.parse(out.stdout);
}

/** The environment of everything started on it: `node` on PATH is that node, for whatever spawns it by name. */
export function nodeEnv(node) {
  return { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
}
