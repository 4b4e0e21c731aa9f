#!/usr/bin/env node
// Sums the self time of .cpuprofile files (node --cpu-prof, e.g. BENCH_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=/tmp/prof" under bench/proxy) per function and per source file, so two builds' hot
// paths can be compared as numbers rather than flame graphs. A bundle's frames are mapped back to the
// workspace's sources through its .map (node:module's SourceMap), so "forward.ts" is one line, not a
// column range of dist/proxy.mjs.
//   node bench/proxy/profile.mjs DIR_OR_FILE... [--top 30] [--busy-only]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { SourceMap } from "node:module";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } },
});
const top = Number(flags.top);

const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(p, f))
    : [p],
);
if (files.length === 0) {
  console.error("usage: node bench/proxy/profile.mjs DIR_OR_FILE... [--top N]");
  process.exit(1);
}

/** One SourceMap per bundle url (undefined when it has none). */
const maps = new Map();
function mapOf(url) {
  if (maps.has(url)) return maps.get(url);
  let map;
  try {
    const path = url.startsWith("file:") ? fileURLToPath(url) : url;
    map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")));
  } catch {
    map = undefined;
  }
  maps.set(url, map);
  return map;
}

const root = join(import.meta.dirname, "..", "..");
/** Where a frame's code is: a workspace source (mapped), a node internal, or a dependency. */
function locate(frame) {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return { file: "(native)", line: 0 };
  const map = mapOf(url);
  if (map) {
    const entry = map.findEntry(lineNumber, columnNumber);
    if (entry?.originalSource) {
      let file = entry.originalSource;
      if (file.startsWith("file:")) file = fileURLToPath(file);
      file = file.includes("node_modules")
        ? file.slice(file.lastIndexOf("node_modules") + 13)
        : relative(root, join(root, "dist", file));
      return { file, line: entry.originalLine + 1 };
    }
  }
  if (url.startsWith("node:")) return { file: url, line: lineNumber + 1 };
  return { file: basename(url), line: lineNumber + 1 };
}

const byFunction = new Map();
const byFile = new Map();
/** Inclusive time: each sample counts once for every distinct function on its stack. */
const inclusive = new Map();
let total = 0;
let idle = 0;
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    add(selfUs, profile.samples[i], profile.timeDeltas[i] ?? 0);
  }
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    const name = frame.functionName || "(anonymous)";
    total += us;
    if (name === "(idle)") {
      idle += us;
      continue;
    }
    const where = locate(frame);
    const special = name.startsWith("(") && !frame.url;
    add(byFunction, special ? name : `${name}  ${where.file}:${where.line}`, us);
    add(byFile, special ? name : where.file, us);
    const seen = new Set();
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at)?.callFrame;
      if (!f?.url) continue;
      const w = locate(f);
      const key = `${f.functionName || "(anonymous)"}  ${w.file}:${w.line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, us);
    }
    const key = special ? name : `${name}  ${where.file}:${where.line}`;
    if (!seen.has(key)) add(inclusive, key, us);
  }
}

const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(`${files.length} profile(s): ${ms(total)} sampled, ${ms(busy)} busy (percentages of busy time)`);
const print = (title, map) => {
  console.log(`\n${title}`);
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) console.log(`${ms(us)} ${pct(us)}  ${key}`);
};
print(`top ${top} functions by self time`, byFunction);
print(`top ${top} files by self time`, byFile);
print(`top ${top} functions by total time (self and callees)`, inclusive);
