#!/usr/bin/env node
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// Bundles each app's server into dist/<app>.mjs for `npm start`. Why a build step: running through the
// tsx loader costs every process a loader thread (about 45 MB of RSS) and a slower start; a bundle of the
// workspace's own TypeScript, with the npm dependencies left external, runs on plain node. Tests and
// development keep running the sources through tsx/vitest.
import { build } from "esbuild";
import { buildConsole } from "./build-console.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = ["api", "worker", "proxy"];

/**
 * Bundled: the workspace and its npm dependencies. External: packages that read files beside their own
 * code at run time (better-sqlite3's native binding, swagger-ui's static assets); the root package.json
 * lists them so node resolves them from dist/.
 */
const external = ["better-sqlite3", "@fastify/swagger-ui"];

const started = Date.now();
await build({
  entryPoints: {
    ...Object.fromEntries(apps.map((app) => [app, join(root, "apps", app, "src", "server.ts")])),
    // The proxy's worker processes start from their own, smaller entry (forked by worker-pool.ts).
    "proxy-worker": join(root, "apps", "proxy", "src", "worker-main.ts"),
  },
  outdir: join(root, "dist"),
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external,
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __scaleoutCreateRequire } from 'node:module'; const require = __scaleoutCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
// The browser console the api serves from dist/console.
await buildConsole();
process.stderr.write(
  `[scaleout] built dist/{${apps.join(",")},proxy-worker}.mjs and dist/console in ${Date.now() - started} ms\n`,
);
