// What `npm start` prints of its children's lines. Every process writes pino's JSON lines
// (packages/config/src/log.ts); on a terminal they become `12:00:01.234 worker  INFO  message k=v` with a
// colour per process, elsewhere they pass as JSON. A line that is not JSON (a stray console.log, a crash
// trace) is wrapped into the same JSON shape, so a log shipper sees one format. Written here, not with
// pino-pretty: the supervisor already reads each child's lines, and formatting them in this one place
// keeps every child's output machine-readable and adds no dependency (pino-pretty brings eleven).

export interface LogRecord {
  level: string;
  time: string;
  process: string;
  msg: string;
  [key: string]: unknown;
}

const levelNames: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** The record a child's line carries; a non-JSON line becomes one at `info` (stdout) or `warn` (stderr). */
export function parseLine(name: string, stream: "stdout" | "stderr", line: string, now: Date): LogRecord {
  if (line.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        const level =
          typeof record.level === "number"
            ? (levelNames[record.level] ?? String(record.level))
            : record.level;
        return {
          ...record,
          level: typeof level === "string" ? level : "info",
          time: typeof record.time === "string" ? record.time : now.toISOString(),
          process: typeof record.process === "string" ? record.process : name,
          msg: typeof record.msg === "string" ? record.msg : "",
        };
      }
    } catch {}
  }
  return { level: stream === "stderr" ? "warn" : "info", time: now.toISOString(), process: name, msg: line };
}

/** One JSON object a line, `level`, `time`, `process` and `msg` first. */
export function jsonLine(record: LogRecord): string {
  const { level, time, process, msg, ...rest } = record;
  return JSON.stringify({ level, time, process, msg, ...rest });
}

const reset = "\u001b[0m";
const dim = "\u001b[2m";
const palette = [
  "\u001b[36m",
  "\u001b[35m",
  "\u001b[33m",
  "\u001b[32m",
  "\u001b[34m",
  "\u001b[96m",
  "\u001b[95m",
];
const fixed: Record<string, string> = {
  scaleout: "\u001b[1m",
  api: "\u001b[36m",
  worker: "\u001b[35m",
  proxy: "\u001b[33m",
  redis: "\u001b[90m",
};
const levelColour: Record<string, string> = {
  trace: dim,
  debug: dim,
  warn: "\u001b[33;1m",
  error: "\u001b[31;1m",
  fatal: "\u001b[41;97m",
};

/** A colour per process name: fixed for the main ones, from a hash for the rest (proxy-worker-N). */
export function colourOf(name: string): string {
  const known = fixed[name];
  if (known !== undefined) return known;
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return palette[hash % palette.length] ?? "";
}

const omitted = new Set(["level", "time", "process", "msg", "pid", "hostname", "v"]);

function fieldText(value: unknown): string {
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (
    value !== null &&
    typeof value === "object" &&
    "message" in value &&
    typeof value.message === "string"
  ) {
    // pino's serialized error: its message, the stack only at the end of the line for errors.
    return JSON.stringify(value.message);
  }
  return JSON.stringify(value) ?? String(value);
}

/** `12:00:01.234 worker      INFO  message k=v`, coloured when `colour`. */
export function prettyLine(record: LogRecord, colour: boolean): string {
  const time = record.time.length >= 23 ? record.time.slice(11, 23) : record.time;
  const fields = Object.entries(record)
    .filter(([key, value]) => !omitted.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldText(value)}`)
    .join(" ");
  const name = record.process.padEnd(16);
  const level = record.level.toUpperCase().padEnd(5);
  const text = fields ? `${record.msg} ${fields}` : record.msg;
  if (!colour) return `${time} ${name} ${level} ${text}`;
  const levelPaint = levelColour[record.level] ?? "";
  return `${dim}${time}${reset} ${colourOf(record.process)}${name}${reset} ${levelPaint}${level}${reset} ${text}`;
}
