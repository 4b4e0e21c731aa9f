// One log format for every process (api, worker, proxy, proxy-worker-N, npm start's supervisor): pino's
// JSON lines, `{"level":"info","time":"<ISO>","process":"worker","pid":1,"msg":"..."}`. npm start reads
// these lines from its children and pretty-prints them on a terminal (scripts/pretty-log.ts); anywhere
// else they stay JSON, one object a line, for a log shipper.
import pino, { type DestinationStream, type LoggerOptions, type Logger as PinoLogger } from "pino";

export type { PinoLogger };

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** LOG_LEVEL as given when it names a level, else `info`. */
export function logLevelFrom(value: string | undefined): LogLevel {
  return (logLevels as readonly string[]).includes(value ?? "") ? (value as LogLevel) : "info";
}

/**
 * pino's options for one process: the level by name rather than number, an ISO time and the process's
 * name in every line. Fastify takes the same object, so its logger writes the same shape.
 */
export function processLogOptions(
  name: string,
  level: LogLevel = logLevelFrom(process.env.LOG_LEVEL),
): LoggerOptions {
  return {
    level,
    base: { process: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * A process's logger. Writes go straight to the file descriptor (synchronous), so the last line before
 * a crash is not lost in a buffer; `destination` replaces it in tests.
 */
export function createProcessLog(
  name: string,
  options: { level?: LogLevel; destination?: DestinationStream } = {},
): PinoLogger {
  return pino(
    processLogOptions(name, options.level),
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Error values become their message (pino would write an Error under another key than `err` as `{}`). */
export function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = value instanceof Error ? value.message : value;
  }
  return out;
}

/**
 * The console-shaped log the proxy's code takes (`log.warn(message, error)`), on pino: the first
 * argument is the message, an Error among the rest goes under `err`, anything else under `detail`.
 */
export interface ConsoleLikeLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export function consoleLike(logger: PinoLogger): ConsoleLikeLog {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      if (!logger.isLevelEnabled(level)) return;
      const [first, ...rest] = args;
      const message = typeof first === "string" ? first : String(first);
      const err = rest.find((value) => value instanceof Error);
      const detail = rest.filter((value) => !(value instanceof Error));
      const fields: Record<string, unknown> = {};
      if (err !== undefined) fields.err = err;
      else if (rest.length > 0 && detail.length === 0) fields.err = rest[0];
      if (detail.length > 0) fields.detail = detail.length === 1 ? detail[0] : detail;
      logger[level](fields, message);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
