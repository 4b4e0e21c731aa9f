import { type Db, readConfigVersion } from "@scaleout/db";
import { configChannel, createRedis } from "@scaleout/queue";

/**
 * Calls `reload` when the configuration version moves: at once on the api's Redis announcement, and by
 * polling SQLite as a fallback, so the proxy converges while Redis is down and catches up when it returns.
 */
export function watchConfiguration(options: {
  db: Db;
  redisUrl: string | undefined;
  prefix: string;
  pollMs?: number;
  current: () => number;
  reload: () => Promise<unknown>;
  log: Pick<Console, "warn">;
}): { close(): Promise<void> } {
  let running = false;
  let again = false;
  // One reload at a time; a notice during a reload schedules exactly one more.
  const trigger = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await options.reload();
      } while (again);
    } finally {
      running = false;
    }
  };
  const poll = setInterval(() => {
    try {
      if (readConfigVersion(options.db) !== options.current()) void trigger();
    } catch {
      // SQLite busy or gone: keep serving, try on the next tick.
    }
  }, options.pollMs ?? 1000);
  poll.unref();

  const subscriber = options.redisUrl ? createRedis(options.redisUrl, "subscriber") : undefined;
  if (subscriber) {
    let warned = false;
    subscriber.on("error", (error: Error) => {
      if (!warned)
        options.log.warn(`Redis unavailable (${error.message}); polling the registry until it returns`);
      warned = true;
    });
    subscriber.on("ready", () => {
      warned = false;
      void trigger(); // changes made while we were disconnected
    });
    subscriber.subscribe(`${options.prefix}:${configChannel}`).catch(() => {});
    subscriber.on("message", (_channel: string, message: string) => {
      if (Number(message) !== options.current()) void trigger();
    });
  }
  return {
    close: async () => {
      clearInterval(poll);
      subscriber?.disconnect();
    },
  };
}
