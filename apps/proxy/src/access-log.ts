import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** One request, with the fields of an ALB access log entry (AWS's names). */
export interface AccessLogEntry {
  time: number;
  elb: string;
  client: string;
  target: string;
  requestProcessingTime: number;
  targetProcessingTime: number;
  responseProcessingTime: number;
  elbStatusCode: number;
  targetStatusCode: number | undefined;
  receivedBytes: number;
  sentBytes: number;
  request: string;
  userAgent: string;
  targetGroupArn: string;
  traceId: string;
  domainName: string;
  matchedRulePriority: string;
  requestCreationTime: number;
  actionsExecuted: string;
  redirectUrl: string;
  errorReason: string;
  /** Desync mitigation: Compliant, Acceptable, Ambiguous or Severe (`-` when not classified). */
  classification: string;
  classificationReason: string;
  /** A request over TLS: the entry type is `https`, with the negotiated cipher and protocol (OpenSSL's names). */
  tls?: { cipher: string; protocol: string } | undefined;
  /** An HTTP/2 request (over TLS): the entry type is `h2`. */
  http2?: boolean;
}

export interface AccessLog {
  write(entry: AccessLogEntry): void;
  close(): Promise<void>;
}

/** ISO times are cached per millisecond: at thousands of requests a second most share one. */
let lastMs = -1;
let lastIso = "";
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

const quote = (text: string) =>
  `"${text.includes('"') || text.includes("\\") ? text.replace(/[\\"]/g, "\\$&") : text}"`;
const seconds = (value: number) => (value < 0 ? "-1" : value.toFixed(3));

/**
 * One line in ALB's own access log format (space-separated, strings quoted, `-` for absent values), so
 * tools that read ALB logs read these. Certificate fields (the chosen certificate's ARN, mTLS) are `-`.
 */
export function formatEntry(e: AccessLogEntry): string {
  return [
    e.http2 ? "h2" : e.tls ? "https" : "http",
    iso(e.time),
    e.elb,
    e.client,
    e.target,
    seconds(e.requestProcessingTime),
    seconds(e.targetProcessingTime),
    seconds(e.responseProcessingTime),
    e.elbStatusCode,
    e.targetStatusCode ?? "-",
    e.receivedBytes,
    e.sentBytes,
    quote(e.request),
    quote(e.userAgent),
    e.tls ? e.tls.cipher : "-",
    e.tls ? e.tls.protocol : "-",
    e.targetGroupArn,
    quote(e.traceId),
    quote(e.domainName),
    '"-"',
    e.matchedRulePriority,
    iso(e.requestCreationTime),
    quote(e.actionsExecuted),
    quote(e.redirectUrl),
    quote(e.errorReason),
    quote(e.target),
    quote(e.targetStatusCode === undefined ? "-" : String(e.targetStatusCode)),
    quote(e.classification),
    quote(e.classificationReason),
    "-",
  ].join(" ");
}

/**
 * Buffered: lines collect in memory and go out in one write per event-loop turn, so a busy proxy pays
 * one syscall per batch rather than per request.
 */
export function createAccessLog(target: "off" | "stdout" | { file: string }): AccessLog {
  if (target === "off") return { write() {}, close: async () => {} };
  let stream: NodeJS.WritableStream;
  if (target === "stdout") stream = process.stdout;
  else {
    mkdirSync(dirname(target.file), { recursive: true });
    stream = createWriteStream(target.file, { flags: "a" });
  }
  let buffer = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffer === "") return;
    const chunk = buffer;
    buffer = "";
    stream.write(chunk);
  };
  return {
    write(entry) {
      buffer += `${formatEntry(entry)}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        flush();
        if (target === "stdout") resolve();
        else stream.end(() => resolve());
      }),
  };
}
