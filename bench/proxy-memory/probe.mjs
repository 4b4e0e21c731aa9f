// Preloaded into every proxy process (`--import`): on SIGUSR2 it writes this process's memory breakdown
// to $PROXY_MEMORY_DIR/<pid>.json, and a heap snapshot as well when PROXY_MEMORY_SNAPSHOT=1. Cluster
// workers inherit the flag, so owner and workers answer alike.

import cluster from "node:cluster";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";

const dir = process.env.PROXY_MEMORY_DIR;
if (dir) {
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
      spaces,
      handles: process.getActiveResourcesInfo().length,
    };
    // A heap snapshot collects first: the heap used after it is what is live, the rest was garbage.
    if (process.env.PROXY_MEMORY_SNAPSHOT === "1") {
      report.snapshot = v8.writeHeapSnapshot(join(dir, `${process.pid}.heapsnapshot`));
      report.liveHeap = process.memoryUsage().heapUsed;
    }
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
  });
}
