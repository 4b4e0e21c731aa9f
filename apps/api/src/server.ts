import { join } from "node:path";
import { guardProcess, processLogOptions, readSettings } from "@scaleout/config";
import { createDb, registryWritable, runMigrations } from "@scaleout/db";
import {
  closeQueues,
  configChannel,
  createEventFollower,
  createQueues,
  createRedis,
  createRedisEvents,
  redisAnswers,
  redisWafState,
  writeWafSamples,
} from "@scaleout/queue";
import {
  createCertificateAuthority,
  createContext,
  createPortProbe,
  createServices,
} from "@scaleout/services";
import { buildApp } from "./app.ts";

/** The api process: open and migrate the registry, connect Redis, serve, and close cleanly on a signal. */
async function main(): Promise<void> {
  const config = readSettings();
  if (!config.redisUrl)
    throw new Error("REDIS_URL is required (npm start provides a private Redis when it is unset)");
  const handle = createDb(config.databaseFile);
  runMigrations(handle.db);

  const redis = createRedis(config.redisUrl, "producer");
  redis.on("error", () => {}); // reported through /healthz and the events' warnings
  const queues = createQueues(redis, { prefix: config.redisPrefix });
  // Warnings go to the app's logger once it exists; the services need the events before that.
  let warn = (error: unknown, message: string) => console.warn(message, error);
  const events = createRedisEvents(
    redis,
    queues,
    config.redisPrefix,
    (error, message) => warn(error, message),
    { account: config.partition.accountId, region: config.partition.region },
  );
  // Ports scaleout itself holds: a listener there would fail to bind or, worse, take the port over.
  const reserved = new Map<number, string>();
  if (config.api.port !== 0) reserved.set(config.api.port, "the scaleout api's own port");
  const redisAddress = new URL(config.redisUrl);
  if (["localhost", "127.0.0.1", "[::1]", config.bindHost].includes(redisAddress.hostname))
    reserved.set(Number(redisAddress.port || 6379), "the port of scaleout's Redis");
  const portProbe = createPortProbe({ bindHost: config.bindHost, reserved });
  const services = createServices(
    createContext(handle.db, {
      partition: config.partition,
      limits: config.limits,
      events,
      portProbe,
      // RequestCertificate's issuer, kept beside the registry so that clients trust it across restarts.
      certificateAuthority: createCertificateAuthority(join(config.dataDir, "ca"), Date.now),
      // GetSampledRequests and GetRateBasedStatementManagedKeys read what the proxy keeps in Redis.
      wafState: redisWafState(redis, config.redisPrefix),
    }),
  );
  // GET /v1/events: one blocking reader for every client of this process (it blocks, so it is its own).
  const eventReader = createRedis(config.redisUrl, "worker");
  eventReader.on("error", () => {});
  const follower = createEventFollower(eventReader, redis, config.redisPrefix, {
    onError: (error) => warn(error, "could not read the events stream; retrying"),
  });
  // The console looks again when the registry announces a change or an event arrives.
  const announcements = createRedis(config.redisUrl, "subscriber");
  announcements.on("error", () => {});
  const changes = (listener: () => void) => {
    const channel = `${config.redisPrefix}:${configChannel}`;
    announcements.subscribe(channel).catch((error: unknown) => warn(error, "console: could not subscribe"));
    announcements.on("message", listener);
    const stopFollowing = follower.subscribe(listener);
    return () => {
      stopFollowing();
      announcements.disconnect();
    };
  };
  const app = await buildApp({
    services,
    events: { follower },
    console: { changes },
    prometheus: { redis, prefix: config.redisPrefix },
    // Proxies fed by the api: the holder of the health-check lease renews it three times a lease.
    proxyFeed: {
      leaseTtlMs: config.fast ? 3000 : 10_000,
      wafSink: (batch) => writeWafSamples(redis, config.redisPrefix, batch),
    },
    ...(config.api.token !== undefined && { apiToken: config.api.token }),
    logger: processLogOptions("api"),
    trust: {
      bindHost: config.api.host,
      allowedHosts: config.api.allowedHosts,
      allowedOrigins: config.api.allowedOrigins,
    },
    health: async () => ({
      sqlite: registryWritable(handle.sqlite) ? "ok" : "down",
      redis: (await redisAnswers(redis)) ? "ok" : "down",
    }),
  });
  warn = (error, message) => app.log.warn({ err: error }, message);

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down");
    // Stop accepting requests and finish those in flight, then release Redis and SQLite.
    await app.close();
    await closeQueues(queues).catch(() => {});
    redis.disconnect();
    handle.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void close("SIGINT"));
  process.once("SIGTERM", () => void close("SIGTERM"));

  await app.listen({ host: config.api.host, port: config.api.port });
}

// An uncaught error ends this app alone, logged (npm start restarts it); the app stops when npm start is gone.
guardProcess("api");
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
