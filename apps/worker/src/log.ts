/** The worker's log: one line per event, `level message key=value...`, on stderr. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levels = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof levels)[number];

function format(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

export function createLogger(
  level: LogLevel = "info",
  write = (line: string) => process.stderr.write(line),
): Logger {
  const threshold = levels.indexOf(level);
  const at =
    (name: (typeof levels)[number]) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (levels.indexOf(name) < threshold) return;
      const rest = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ` ${key}=${format(value)}`)
        .join("");
      write(`${new Date().toISOString()} ${name} ${message}${rest}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export function logLevelFrom(value: string | undefined): LogLevel {
  return (levels as readonly string[]).includes(value ?? "") ? (value as LogLevel) : "info";
}
