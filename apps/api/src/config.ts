import { join } from "node:path";
import { defaultPartition, type Partition } from "@scaleout/core";

/** Settings read from the environment (README: Configuration). */
export interface ApiConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseFile: string;
  redisUrl: string | undefined;
  apiToken: string | undefined;
  fast: boolean;
  partition: Partition;
  /** Key prefix for BullMQ queues and the config channel: several systems can share one Redis. */
  redisPrefix: string;
}

export function dataDirectory(env: NodeJS.ProcessEnv): string {
  return env.SCALEOUT_DATA_DIR ?? join(process.cwd(), ".data");
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const dataDir = dataDirectory(env);
  const port = Number(env.SCALEOUT_API_PORT ?? 7700);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`SCALEOUT_API_PORT '${env.SCALEOUT_API_PORT}' is not a port`);
  return {
    host: env.SCALEOUT_API_HOST ?? "127.0.0.1",
    port,
    dataDir,
    databaseFile: join(dataDir, "scaleout.db"),
    redisUrl: env.REDIS_URL || undefined,
    apiToken: env.SCALEOUT_API_TOKEN || undefined,
    fast: env.SCALEOUT_FAST === "1" || env.SCALEOUT_FAST === "true",
    partition: {
      region: env.SCALEOUT_REGION ?? defaultPartition.region,
      accountId: env.SCALEOUT_ACCOUNT_ID ?? defaultPartition.accountId,
    },
    redisPrefix: env.SCALEOUT_REDIS_PREFIX ?? "scaleout",
  };
}
