import type { Redis } from "ioredis";

/**
 * Whether Redis answers a PING within `timeoutMs`. A producer connection (no offline queue) fails at once
 * while disconnected; a connected but stuck server fails on the timeout.
 */
export async function redisAnswers(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((answer) => answer === "PONG"), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
