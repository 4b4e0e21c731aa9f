#!/usr/bin/env node
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
// Bundles the browser console (apps/console: Preact + htm + uPlot) into dist/console/console.{js,css},
// which the api serves at /console from files (no CDN: it works offline). scripts/build.mjs runs it with
// the servers' bundles; the console's end-to-end test runs it alone.
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildConsole() {
  await build({
    entryPoints: { console: join(root, "apps", "console", "src", "main.ts") },
    outdir: join(root, "dist", "console"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = Date.now();
  await buildConsole();
  process.stderr.write(`[scaleout] built dist/console in ${Date.now() - started} ms\n`);
}
