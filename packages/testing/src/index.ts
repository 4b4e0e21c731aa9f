import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test as base, inject } from "vitest";

export interface IntegrationFixtures {
  /** The run's Redis. */
  redisUrl: string;
  /** A key prefix of this test's own, so queues and channels of parallel tests never meet. */
  prefix: string;
  /** A fresh data directory, removed after the test. */
  dataDir: string;
}

/** trigger.dev's redisTest, for scaleout: real Redis, real files, nothing mocked. */
export const integrationTest = base.extend<IntegrationFixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  redisUrl: async ({}, use) => {
    await use(inject("redisUrl"));
  },
  // biome-ignore lint/correctness/noEmptyPattern: as above
  prefix: async ({}, use) => {
    await use(`t${randomBytes(4).toString("hex")}`);
  },
  // biome-ignore lint/correctness/noEmptyPattern: as above
  dataDir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), "scaleout-test-"));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
});

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "scaleout-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Polls `probe` until it answers something other than undefined, or fails after `timeoutMs`. A message
 * given as a function is read at the timeout (a process's output then, not when the wait began).
 */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  {
    timeoutMs = 10_000,
    intervalMs = 25,
    message = "condition",
  }: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${typeof message === "function" ? message() : message}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
export * from "./restartable-redis.ts";
