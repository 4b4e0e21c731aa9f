// Preloaded into every proxy process (`--import`): on SIGUSR2 it writes this process's memory breakdown
// to $PROXY_MEMORY_DIR/<pid>.json, and a heap snapshot as well while $PROXY_MEMORY_DIR/snapshot exists. Cluster
// workers inherit the flag, so owner and workers answer alike.

import cluster from "node:cluster";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

const dir = process.env.PROXY_MEMORY_DIR;
// Time spent in GC since start, by kind: what a young-generation size trades against RSS.
const gc = { minor: 0, major: 0, incremental: 0, weak: 0, count: 0 };
if (dir) {
  const kinds = { 1: "minor", 2: "major", 4: "incremental", 8: "weak" };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[entry.detail?.kind];
      if (kind) gc[kind] += entry.duration;
      gc.count++;
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("SIGUSR2", () => {
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
    );
    let smaps = "";
    try {
      smaps = readFileSync("/proc/self/smaps_rollup", "utf8");
    } catch {}
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(smaps)?.[1] ?? 0) * 1024;
    const heap = v8.getHeapStatistics();
    const report = {
      pid: process.pid,
      role: cluster.isWorker ? "worker" : "primary",
      usage,
      anon: field("Anonymous"),
      file: field("Rss") - field("Anonymous"),
      code: heap.total_physical_size,
      external: heap.external_memory,
      mallocked: heap.malloced_memory,
      peakMallocked: heap.peak_malloced_memory,
      spaces,
      handles: process.getActiveResourcesInfo().length,
      gc,
    };
    // A heap snapshot collects first: the heap used after it is what is live, the rest was garbage.
    if (existsSync(join(dir, "snapshot"))) {
      report.snapshot = v8.writeHeapSnapshot(join(dir, `${process.pid}.heapsnapshot`));
      report.liveHeap = process.memoryUsage().heapUsed;
    }
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
  });
}
