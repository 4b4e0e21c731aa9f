import { writeSync } from "node:fs";

/**
 * Makes an error nobody caught end this process, logged, with exit code 1, so the supervisor of
 * `npm start` restarts this app alone. Node would exit on an uncaught exception anyway, but a state
 * after one is unknown, and an unhandled rejection is only a warning when a handler elsewhere hides it.
 * The stack comes first and a one-line summary last: the supervisor quotes an app's last stderr line
 * as the cause of its death.
 */
export function exitOnCrash(app: string): void {
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
}
