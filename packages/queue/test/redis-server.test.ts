import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { integrationTest as test } from "@scaleout/testing";
import { expect } from "vitest";
import { createRedis, startPrivateRedis } from "../src/index.ts";

test("a throwaway private Redis leaves no temporary directory behind", async () => {
  const redis = await startPrivateRedis();
  expect(existsSync(redis.dir)).toBe(true);
  await redis.stop();
  expect(existsSync(redis.dir)).toBe(false);
});

test("with a data directory Redis keeps its append-only file there and requires its password", async ({
  dataDir,
}) => {
  const redis = await startPrivateRedis({ dataDir, password: "0123abcd" });
  try {
    expect(redis.dir).toBe(join(dataDir, "redis"));
    expect(redis.url).toBe(`${redis.address.replace("redis://", "redis://:0123abcd@")}`);
    const anonymous = createRedis(redis.address, "worker", { maxRetriesPerRequest: 0 });
    anonymous.on("error", () => {});
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const client = createRedis(redis.url, "worker");
    expect(await client.set("k", "v")).toBe("OK");
    client.disconnect();
    expect(readdirSync(redis.dir)).toContain("appendonlydir");
  } finally {
    await redis.stop();
  }
  // Its data stays for the next start; only the pid file goes with a clean shutdown.
  expect(readdirSync(join(dataDir, "redis"))).toEqual(["appendonlydir"]);
});
