import { defineConfig } from "vitest/config";

/**
 * Three projects: `unit` (pure code beside its source), `integration` (real SQLite, Redis, sockets, a
 * proxy or api process at most) and `system`. A system file starts a whole system (api, worker and
 * proxy processes, instances under a compute driver) or measures CPU; it lives under tests/ or is named
 * `*.system.test.ts`. Two of them side by side on a two-core machine starve each other's health checks
 * and CPU samples, so `npm test` (scripts/bootstrap.mjs) runs vitest twice at once, one file at a time
 * each: the system files in one run, the unit and integration files in the other (each run in one fork
 * that keeps its module graph from file to file: `--no-isolate`, bootstrap.mjs says why).
 *
 * SCALEOUT_TEST_WORKERS: how many forks a plain `vitest run` or `npm test -- <files>` uses (default 2).
 */
function testWorkers(setting: string | undefined): number {
  if (setting === undefined || setting.trim() === "") return 2;
  const workers = Number(setting);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`SCALEOUT_TEST_WORKERS must be a whole number of forks (1 or more), got "${setting}"`);
  return workers;
}

const systemFiles = ["tests/**/*.test.ts", "**/*.system.test.ts"];

/** What the integration and system files share: a Redis for the run, slack for real processes, forks. */
const realProcessTests = {
  globalSetup: ["./packages/testing/src/global-setup.ts"],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    maxWorkers: testWorkers(process.env.SCALEOUT_TEST_WORKERS),
    poolOptions: { threads: { isolate: false } },
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          // Pure code: worker threads that share one module graph instead of importing it afresh for
          // each file (the 71 files: 18 s → 5 s alone). No other project uses the threads pool, whose
          // options vitest reads from the root config only.
          pool: "threads",
        },
      },
      {
        test: {
          name: "integration",
          include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "scripts/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...systemFiles],
          ...realProcessTests,
        },
      },
      {
        test: {
          name: "system",
          include: systemFiles,
          exclude: ["**/node_modules/**"],
          ...realProcessTests,
        },
      },
    ],
  },
});
