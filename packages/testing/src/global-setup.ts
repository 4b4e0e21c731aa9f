import { type PrivateRedis, startPrivateRedis } from "@scaleout/queue";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: PrivateRedis | undefined;

/** One Redis for the whole run: REDIS_URL when set, else a private redis-server from PATH. */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.REDIS_URL;
  if (!url) {
    redis = await startPrivateRedis();
    url = redis.url;
  }
  project.provide("redisUrl", url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
