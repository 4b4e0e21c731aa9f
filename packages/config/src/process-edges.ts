import { writeSync } from "node:fs";

/**
 * What every app installs before it starts (npm start's supervisor restarts an app that exits):
 * - an error nobody caught ends this process, logged, with exit code 1, so the supervisor restarts this
 *   app alone. Node would exit on an uncaught exception anyway, but the state after one is unknown, and
 *   an unhandled rejection is only a warning when a handler elsewhere hides it. The stack comes first and
 *   a one-line summary last: the supervisor quotes an app's last stderr line as the cause of its death.
 * - when the supervisor itself is gone (kill -9; its IPC channel closes), the app stops as on SIGTERM
 *   instead of running on unsupervised, holding its ports, and is killed after `orphanStopTimeoutMs` if
 *   that stop hangs. Without a channel (run alone) nothing changes.
 */
export function guardProcess(app: string, orphanStopTimeoutMs = 15_000): void {
  const crash = (kind: string) => (error: unknown) => {
    const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // writeSync: the process exits on the next line, and nothing asynchronous would be flushed.
    try {
      writeSync(2, `${stack}\n${app}: ${kind}: ${summary.split("\n")[0]}; exiting\n`);
    } finally {
      process.exit(1);
    }
  };
  process.on("uncaughtException", crash("uncaught exception"));
  process.on("unhandledRejection", crash("unhandled rejection"));
  if (process.channel) {
    let orphaned = false;
    // The channel must not keep the process alive by itself; it only reports the supervisor's end.
    process.channel.unref();
    process.once("disconnect", () => {
      orphaned = true;
      process.kill(process.pid, "SIGTERM");
      // No supervisor is left to SIGKILL a stop that hangs: apply its stop timeout here.
      setTimeout(() => process.kill(process.pid, "SIGKILL"), orphanStopTimeoutMs).unref();
    });
    // Registered before any logger's exit hook, so it runs first. Orphaned, stdout and stderr lead
    // nowhere (EPIPE), and pino's final synchronous flush retries an EPIPE forever (sonic-boom's
    // flushSync), hanging the exit: once the graceful stop is done, end without flushing.
    process.on("exit", () => {
      if (orphaned) process.kill(process.pid, "SIGKILL");
    });
  }
}
