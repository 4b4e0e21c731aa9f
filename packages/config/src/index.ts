export * from "./log.ts";
export * from "./process-edges.ts";

import { isIP } from "node:net";
import { availableParallelism } from "node:os";
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
  /** SCALEOUT_COMPUTE=docker|swarm|process; unset: swarm when the engine is a swarm manager, docker when one answers. */
  compute: "docker" | "swarm" | "process" | undefined;
  proxy: {
    /** SCALEOUT_PROXY_WORKERS: worker processes sharing every listener port; unset or `auto`: one a core. 1: one process. */
    workers: number;
    /**
     * SCALEOUT_PROXY_SHARING=reuseport|cluster: how workers share a port. reuseport (SO_REUSEPORT, the
     * kernel spreads connections; Node >= 22.12) where the runtime has it, else cluster (node:cluster's
     * primary accepts and hands connections round robin).
     */
    sharing: "reuseport" | "cluster";
    /** SCALEOUT_PROXY_WORKER_HEADER=1: answer `x-scaleout-worker: <pid>` (diagnostics, tests). */
    workerHeader: boolean;
    /**
     * SCALEOUT_LOCAL_PROXY=off: npm start runs no proxy of its own; proxies started with `scaleout proxy
     * --api` serve instead, all agreeing on health (docs/multi-host.md). Default on.
     */
    local: boolean;
  };
}

/** Node >= 22.12 (or 23.1 on the 23 line) binds `reusePort` listeners in cluster workers itself. */
export function runtimeHasReusePort(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

function proxyWorkers(value: string | undefined): number {
  if (value === undefined || value === "" || value === "auto") return availableParallelism();
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 256)
    throw new Error(`SCALEOUT_PROXY_WORKERS '${value}' is not auto or a whole number from 1 to 256`);
  return parsed;
}

function proxySharing(value: string | undefined): "reuseport" | "cluster" {
  if (value === undefined || value === "") return runtimeHasReusePort() ? "reuseport" : "cluster";
  if (value === "cluster") return value;
  if (value === "reuseport") {
    if (!runtimeHasReusePort())
      throw new Error(`SCALEOUT_PROXY_SHARING=reuseport needs Node.js >= 22.12 (this is ${process.version})`);
    return value;
  }
  throw new Error(`SCALEOUT_PROXY_SHARING must be reuseport or cluster, not '${value}'`);
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
  if (compute !== undefined && compute !== "docker" && compute !== "swarm" && compute !== "process") {
    throw new Error(`SCALEOUT_COMPUTE must be docker, swarm or process, not '${compute}'`);
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
    proxy: {
      workers: proxyWorkers(env.SCALEOUT_PROXY_WORKERS),
      sharing: proxySharing(env.SCALEOUT_PROXY_SHARING),
      workerHeader: env.SCALEOUT_PROXY_WORKER_HEADER === "1",
      local: env.SCALEOUT_LOCAL_PROXY !== "off",
    },
  };
}
