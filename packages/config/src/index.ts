export * from "./process-edges.ts";

import { join } from "node:path";
import { defaultPartition, type Limits, limitsFor, type Partition } from "@scaleout/core";

/** Settings every process reads from the environment (README: Configuration). */
export interface Settings {
  /** SCALEOUT_DATA_DIR: the registry file and the process driver's state live here. */
  dataDir: string;
  databaseFile: string;
  /** REDIS_URL. npm start fills it with a private redis-server when unset. */
  redisUrl: string | undefined;
  /** SCALEOUT_FAST=1: time floors of 1 s instead of AWS's (DESIGN.md: fast mode). */
  fast: boolean;
  limits: Limits;
  /** SCALEOUT_REGION / SCALEOUT_ACCOUNT_ID: what ARNs carry. */
  partition: Partition;
  /** SCALEOUT_REDIS_PREFIX: key prefix of queues and the config channel, so systems can share a Redis. */
  redisPrefix: string;
  api: { host: string; port: number; token: string | undefined };
  /** SCALEOUT_BIND_HOST: where the proxy binds listeners. */
  bindHost: string;
  /** SCALEOUT_COMPUTE=docker|process; unset: docker when an engine answers. */
  compute: "docker" | "process" | undefined;
}

function port(name: string, value: string | undefined, fallback: number): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535)
    throw new Error(`${name} '${value}' is not a port`);
  return parsed;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = env.SCALEOUT_DATA_DIR || join(process.cwd(), ".data");
  const fast = env.SCALEOUT_FAST === "1" || env.SCALEOUT_FAST === "true";
  const compute = env.SCALEOUT_COMPUTE || undefined;
  if (compute !== undefined && compute !== "docker" && compute !== "process") {
    throw new Error(`SCALEOUT_COMPUTE must be docker or process, not '${compute}'`);
  }
  return {
    dataDir,
    databaseFile: join(dataDir, "scaleout.db"),
    redisUrl: env.REDIS_URL || undefined,
    fast,
    limits: limitsFor(fast),
    partition: {
      region: env.SCALEOUT_REGION || defaultPartition.region,
      accountId: env.SCALEOUT_ACCOUNT_ID || defaultPartition.accountId,
    },
    redisPrefix: env.SCALEOUT_REDIS_PREFIX || "scaleout",
    api: {
      host: env.SCALEOUT_API_HOST || "127.0.0.1",
      port: port("SCALEOUT_API_PORT", env.SCALEOUT_API_PORT, 7700),
      token: env.SCALEOUT_API_TOKEN || undefined,
    },
    bindHost: env.SCALEOUT_BIND_HOST || "127.0.0.1",
    compute,
  };
}
