// The worker's log: pino's JSON lines with `"process":"worker"` (packages/config/src/log.ts), behind
// the small interface the worker's code calls, so that callers pass a message and plain fields.
import {
  createProcessLog,
  type LogLevel as ProcessLogLevel,
  plainFields,
  logLevelFrom as processLogLevelFrom,
} from "@scaleout/config";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = ProcessLogLevel;

/** `write` replaces stdout (tests read the lines). */
export function createLogger(level: LogLevel = "info", write?: (line: string) => void): Logger {
  const pino = createProcessLog("worker", {
    level,
    ...(write !== undefined && { destination: { write } }),
  });
  const at =
    (name: "debug" | "info" | "warn" | "error") =>
    (message: string, fields: Record<string, unknown> = {}) => {
      // Checked first: a disabled level costs no object copy.
      if (!pino.isLevelEnabled(name)) return;
      pino[name](plainFields(fields), message);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export function logLevelFrom(value: string | undefined): LogLevel {
  return processLogLevelFrom(value);
}
