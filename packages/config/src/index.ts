export * from "./process-edges.ts";

import { isIP } from "node:net";
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
  api: {
    host: string;
    port: number;
    token: string | undefined;
    /**
     * SCALEOUT_API_ALLOWED_HOSTS: Host names (no port) the api answers besides its bound address,
     * `localhost`, `127.0.0.1` and `[::1]`; checked only without a token (DNS rebinding).
     */
    allowedHosts: string[];
    /** SCALEOUT_API_ALLOWED_ORIGINS: browser origins (`scheme://host[:port]`) allowed to call the api (CORS). */
    allowedOrigins: string[];
  };
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

/** A comma-separated list, trimmed, empty items dropped. */
function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Host names as a Host header carries them without its port: `example.test`, `10.0.0.5`, `[fd00::1]`. */
function hostNames(value: string | undefined): string[] {
  return list(value).map((item) => {
    const name = item.toLowerCase();
    const bare = name.startsWith("[") ? name.slice(1, -1) : name;
    const valid = bare.includes(":")
      ? isIP(bare) === 6 && (name === bare || name.endsWith("]"))
      : /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/.test(bare);
    if (!valid)
      throw new Error(`SCALEOUT_API_ALLOWED_HOSTS: '${item}' is not a host name (no scheme, port or path)`);
    return bare.includes(":") ? `[${bare}]` : bare;
  });
}

/** Origins as browsers send them: `https://app.example:8443`, normalised by the URL parser. */
function origins(value: string | undefined): string[] {
  return list(value).map((item) => {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== "http:" && url.protocol !== "https:") ||
      url.pathname !== "/" ||
      url.search !== "" ||
      url.hash !== "" ||
      url.username !== ""
    )
      throw new Error(
        `SCALEOUT_API_ALLOWED_ORIGINS: '${item}' is not an origin (scheme://host[:port], no path)`,
      );
    return url.origin;
  });
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
      allowedHosts: hostNames(env.SCALEOUT_API_ALLOWED_HOSTS),
      allowedOrigins: origins(env.SCALEOUT_API_ALLOWED_ORIGINS),
    },
    bindHost: env.SCALEOUT_BIND_HOST || "127.0.0.1",
    compute,
  };
}
