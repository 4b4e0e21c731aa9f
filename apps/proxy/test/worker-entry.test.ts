import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { workerEntry, workerEnv, workerExecArgv } from "../src/worker-pool.ts";

describe("proxy worker processes", () => {
  it("start from their own entry beside the owner's, sources or bundle", () => {
    const sources = new URL("../src/worker-pool.ts", import.meta.url);
    expect(workerEntry(sources.href)).toBe(new URL("../src/worker-main.ts", import.meta.url).pathname);
    const dist = mkdtempSync(join(tmpdir(), "scaleout-dist-"));
    writeFileSync(join(dist, "proxy.mjs"), "");
    writeFileSync(join(dist, "proxy-worker.mjs"), "");
    writeFileSync(join(dist, "proxy-before.mjs"), "");
    expect(workerEntry(pathToFileURL(join(dist, "proxy.mjs")).href)).toBe(join(dist, "proxy-worker.mjs"));
    // A bundle copied alone (a bench baseline) has no worker entry: cluster forks the bundle itself.
    expect(workerEntry(pathToFileURL(join(dist, "proxy-before.mjs")).href)).toBeUndefined();
  });

  it("take the owner's node flags, and the worker defaults the owner did not set", () => {
    expect(workerExecArgv(["--import", "tsx"], ["--max-old-space-size=256"])).toEqual([
      "--import",
      "tsx",
      "--max-old-space-size=256",
    ]);
    // An explicit choice, in either spelling, wins over the default.
    expect(workerExecArgv(["--max_old_space_size=1024"], ["--max-old-space-size=256"])).toEqual([
      "--max_old_space_size=1024",
    ]);
  });

  it("get the malloc settings the owner's environment does not set", () => {
    expect(workerEnv({}, { MALLOC_ARENA_MAX: "2" })).toEqual({ MALLOC_ARENA_MAX: "2" });
    // An operator's own value (the owner's environment passes on to its workers) wins.
    expect(workerEnv({ MALLOC_ARENA_MAX: "4" }, { MALLOC_ARENA_MAX: "2" })).toEqual({});
  });
});
