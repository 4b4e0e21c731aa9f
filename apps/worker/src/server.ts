import { guardProcess, readSettings } from "@scaleout/config";
import { createLogger, logLevelFrom } from "./log.ts";
import { startWorker } from "./worker.ts";

/**
 * The worker process: BullMQ processors for reconcile-group, collect-metrics, evaluate-alarms and
 * execute-policy. On SIGINT or SIGTERM it lets active jobs finish and closes cleanly; instances keep
 * running, and the next worker adopts them.
 */
async function main(): Promise<void> {
  const log = createLogger(logLevelFrom(process.env.LOG_LEVEL));
  const worker = await startWorker({ settings: readSettings(), log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

// An uncaught error ends this app alone, logged (npm start restarts it); the app stops when npm start is gone.
guardProcess("worker");
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
