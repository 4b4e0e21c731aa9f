import { guardProcess, readSettings } from "@scaleout/config";
import { createDb } from "@scaleout/db";
import { processLog, serveAsWorker } from "./worker-process.ts";

/**
 * A proxy worker process, forked by the owner (worker-pool.ts). Its own entry, not server.ts, so a
 * worker loads only what routing needs: no Redis client or queue library (the owner watches the
 * configuration and tells its workers the version), no migrations.
 */
async function main(): Promise<void> {
  const settings = readSettings();
  // The registry the owner has already migrated; a worker only reads it.
  await serveAsWorker(settings, createDb(settings.databaseFile));
}

guardProcess("proxy worker");
main().catch((error: unknown) => {
  processLog.error("could not start", error);
  process.exit(1);
});
