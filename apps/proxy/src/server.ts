import cluster from "node:cluster";
import { guardProcess, readSettings } from "@scaleout/config";
import { udpFlowIdleSeconds } from "@scaleout/core";
import { createDb, runMigrations } from "@scaleout/db";
import { createRedis, publishMetricSnapshots, writeWafSamples } from "@scaleout/queue";
import { createAccessLog } from "./access-log.ts";
import { LoadBalancerProxy, type ProxyRole } from "./proxy.ts";
import { watchConfiguration } from "./watch.ts";
import { accessLogOf, processLog, serveAsWorker } from "./worker-process.ts";

/**
 * The proxy process: serve every listener of the registry until SIGINT/SIGTERM, then drain. With
 * SCALEOUT_PROXY_WORKERS above 1 this process is the owner (cluster primary): it forks the workers
 * that serve, watches the configuration and drains them all on a signal.
 */
async function main(): Promise<void> {
  const settings = readSettings();
  const handle = createDb(settings.databaseFile);
  const role: ProxyRole = cluster.isWorker
    ? { kind: "worker" }
    : settings.proxy.workers > 1
      ? { kind: "owner", workers: settings.proxy.workers }
      : { kind: "single" };
  // Workers open the registry the owner has already migrated.
  if (role.kind !== "worker") runMigrations(handle.db);
  if (role.kind === "owner" && settings.proxy.sharing === "cluster")
    cluster.schedulingPolicy = cluster.SCHED_RR;
  // Without a worker entry beside the bundle (worker-pool.ts), the owner forks this file as its workers.
  if (role.kind === "worker") {
    await serveAsWorker(settings, handle);
    return;
  }
  const log = processLog;
  // GET /metrics on the api merges what this publishes (fast mode: every second, for tests and demos);
  // WAF's sampled requests and managed keys go here too (GetSampledRequests reads them).
  const publisher = settings.redisUrl ? createRedis(settings.redisUrl, "producer") : undefined;
  publisher?.on("error", () => {}); // Redis down: the snapshot expires, traffic is unaffected
  const proxy = new LoadBalancerProxy(
    {
      db: handle.db,
      bindHost: settings.bindHost,
      // The owner serves no request.
      accessLog: role.kind === "owner" ? createAccessLog("off") : accessLogOf(settings),
      log,
      reusePort: false,
      workerHeader: settings.proxy.workerHeader,
      wafSink: publisher
        ? (batch) => void writeWafSamples(publisher, settings.redisPrefix, batch).catch(() => {})
        : undefined,
      udpIdleTimeoutMs: udpFlowIdleSeconds(settings.fast) * 1000,
    },
    role,
  );
  await proxy.start();

  const watcher = watchConfiguration({
    db: handle.db,
    redisUrl: settings.redisUrl,
    prefix: settings.redisPrefix,
    current: () => proxy.version,
    reload: () => proxy.reload(),
    log,
  });
  const publishing = publisher
    ? publishMetricSnapshots({
        redis: publisher,
        prefix: settings.redisPrefix,
        process: "proxy",
        snapshot: async () => (await proxy.prometheusSnapshot()) ?? [],
        intervalMs: settings.fast ? 1000 : 5000,
      })
    : undefined;
  if (role.kind === "owner")
    log.info(
      `proxy owner: ${role.workers} workers (${settings.proxy.sharing}) serving on ${settings.bindHost}: pids ${proxy.workerPids().join(" ")}`,
    );
  else log.info(`proxy serving ${proxy.boundPorts().length} listener(s) on ${settings.bindHost}`);

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info(`${signal}: draining`);
    await watcher.close();
    publishing?.stop();
    publisher?.disconnect();
    await proxy.close();
    handle.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void close("SIGINT"));
  process.once("SIGTERM", () => void close("SIGTERM"));
}

// An uncaught error ends this app alone, logged (npm start restarts it); the app stops when npm start is gone.
guardProcess(cluster.isWorker ? "proxy worker" : "proxy");
main().catch((error: unknown) => {
  processLog.error("could not start", error);
  process.exit(1);
});
