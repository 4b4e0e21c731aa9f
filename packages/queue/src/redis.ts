import { Redis, type RedisOptions } from "ioredis";

// Apart from connection.ts (queues), so a process that only needs a Redis client (the proxy's
// configuration watch) does not bundle bullmq: the package is marked side-effect free for that.

export type ConnectionRole = "producer" | "worker" | "subscriber";

/**
 * A Redis connection set up as bullmq's production guide asks: workers and subscribers retry forever
 * (`maxRetriesPerRequest: null`); producers fail fast instead of queueing commands while Redis is down
 * (`enableOfflineQueue: false`), so an api request never hangs on a dead Redis.
 */
export function createRedis(url: string, role: ConnectionRole, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...options,
  });
}
