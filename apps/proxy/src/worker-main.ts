import { join } from "node:path";
import { guardProcess, readSettings } from "@scaleout/config";
import { createDb } from "@scaleout/db";
import { createAccessLog } from "./access-log.ts";
import { LoadBalancerProxy } from "./proxy.ts";

/**
 * A proxy worker process, forked by the owner (worker-pool.ts). Its own entry, not server.ts, so a
 * worker loads only what routing needs: no Redis client or queue library (the owner watches the
 * configuration and tells its workers the version), no migrations. It serves until its owner sends
 * `close`, or until a signal or the owner's end.
 */
async function main(): Promise<void> {
  const settings = readSettings();
  // The registry the owner has already migrated; a worker only reads it.
  const handle = createDb(settings.databaseFile);
  const mode = process.env.SCALEOUT_ACCESS_LOG ?? "file";
  // Each worker appends its own lines to the one file (O_APPEND).
  const accessLog = createAccessLog(
    mode === "off" || mode === "stdout" ? mode : { file: join(settings.dataDir, "logs", "access.log") },
  );
  const log = {
    info: (...args: unknown[]) => console.log(...args),
    warn: (...args: unknown[]) => console.warn(...args),
    error: (...args: unknown[]) => console.error(...args),
  };
  const proxy = new LoadBalancerProxy(
    {
      db: handle.db,
      bindHost: settings.bindHost,
      accessLog,
      log,
      reusePort: settings.proxy.sharing === "reuseport",
      workerHeader: settings.proxy.workerHeader,
    },
    { kind: "worker" },
  );
  await proxy.start();
  // The owner sends `close` on its own signal; a signal to the whole group (Ctrl-C) or the owner's end
  // (guardProcess turns a closed channel into SIGTERM) drains this worker the same way.
  const close = () => {
    void proxy.closeWorker(10_000).finally(() => handle.close());
  };
  process.once("SIGINT", close);
  process.once("SIGTERM", close);
}

guardProcess("proxy worker");
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
