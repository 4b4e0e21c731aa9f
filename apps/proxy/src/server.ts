import { join } from "node:path";
import { guardProcess, readSettings } from "@scaleout/config";
import { createDb, runMigrations } from "@scaleout/db";
import { createAccessLog } from "./access-log.ts";
import { LoadBalancerProxy } from "./proxy.ts";
import { watchConfiguration } from "./watch.ts";

/** The proxy process: serve every listener of the registry until SIGINT/SIGTERM, then drain. */
async function main(): Promise<void> {
  const settings = readSettings();
  const handle = createDb(settings.databaseFile);
  runMigrations(handle.db);
  const mode = process.env.SCALEOUT_ACCESS_LOG ?? "file";
  const accessLog = createAccessLog(
    mode === "off" || mode === "stdout" ? mode : { file: join(settings.dataDir, "logs", "access.log") },
  );
  const log = {
    info: (...args: unknown[]) => console.log(...args),
    warn: (...args: unknown[]) => console.warn(...args),
    error: (...args: unknown[]) => console.error(...args),
  };
  const proxy = new LoadBalancerProxy({ db: handle.db, bindHost: settings.bindHost, accessLog, log });
  await proxy.start();
  const watcher = watchConfiguration({
    db: handle.db,
    redisUrl: settings.redisUrl,
    prefix: settings.redisPrefix,
    current: () => proxy.version,
    reload: () => proxy.reload(),
    log,
  });
  log.info(`proxy serving ${proxy.boundPorts().length} listener(s) on ${settings.bindHost}`);

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info(`${signal}: draining`);
    await watcher.close();
    await proxy.close();
    handle.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void close("SIGINT"));
  process.once("SIGTERM", () => void close("SIGTERM"));
}

// An uncaught error ends this app alone, logged (npm start restarts it); the app stops when npm start is gone.
guardProcess("proxy");
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
