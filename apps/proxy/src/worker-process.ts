import cluster from "node:cluster";
import { join } from "node:path";
import { consoleLike, createProcessLog, type readSettings } from "@scaleout/config";
import type { DbHandle } from "@scaleout/db";
import { type AccessLog, createAccessLog } from "./access-log.ts";
import { LoadBalancerProxy } from "./proxy.ts";

type Settings = ReturnType<typeof readSettings>;

/**
 * The proxy processes' log: pino's JSON lines on stdout, which npm start's supervisor collects, named
 * `proxy` (the owner, or the only process) or `proxy-worker-<n>` (the owner's n-th fork). Nothing on a
 * request's path logs below error, so the hot path does no logging work at info.
 */
export const processLog = consoleLike(
  createProcessLog(cluster.isWorker ? `proxy-worker-${cluster.worker?.id ?? process.pid}` : "proxy"),
);

/**
 * A serving process's access log (SCALEOUT_ACCESS_LOG: `file`, the default, `stdout` or `off`). Each
 * process that serves appends its own lines to the one file (O_APPEND).
 */
export function accessLogOf(settings: Settings): AccessLog {
  const mode = process.env.SCALEOUT_ACCESS_LOG ?? "file";
  return createAccessLog(
    mode === "off" || mode === "stdout" ? mode : { file: join(settings.dataDir, "logs", "access.log") },
  );
}

/**
 * Serves as one of the owner's workers on a registry the owner has already migrated, until the owner
 * sends `close`, a signal reaches the process group (Ctrl-C), or the owner ends (guardProcess turns a
 * closed channel into SIGTERM): each drains this worker the same way.
 */
export async function serveAsWorker(settings: Settings, handle: DbHandle): Promise<void> {
  const proxy = new LoadBalancerProxy(
    {
      db: handle.db,
      bindHost: settings.bindHost,
      accessLog: accessLogOf(settings),
      log: processLog,
      reusePort: settings.proxy.sharing === "reuseport",
      announceListeners: process.env.SCALEOUT_PROXY_ANNOUNCES !== "0",
      workerHeader: settings.proxy.workerHeader,
    },
    { kind: "worker" },
  );
  await proxy.start();
  const close = () => {
    void proxy.closeWorker(10_000).finally(() => handle.close());
  };
  process.once("SIGINT", close);
  process.once("SIGTERM", close);
}
