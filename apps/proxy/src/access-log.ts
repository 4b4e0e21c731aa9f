import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
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
 * tools that read ALB logs read these. Certificate fields (the chosen certificate's ARN, mTLS) are `-`. One template,
 * not an array joined: this runs for every request of a load balancer that logs.
 */
export function formatEntry(e: AccessLogEntry): string {
  const target = e.targetStatusCode === undefined ? "-" : String(e.targetStatusCode);
  return `${e.tls ? "https" : "http"} ${iso(e.time)} ${e.elb} ${e.client} ${e.target} ${seconds(e.requestProcessingTime)} ${seconds(e.targetProcessingTime)} ${seconds(e.responseProcessingTime)} ${e.elbStatusCode} ${target} ${e.receivedBytes} ${e.sentBytes} ${quote(e.request)} ${quote(e.userAgent)} ${e.tls ? `${e.tls.cipher} ${e.tls.protocol}` : "- -"} ${e.targetGroupArn} ${quote(e.traceId)} ${quote(e.domainName)} "-" ${e.matchedRulePriority} ${iso(e.requestCreationTime)} ${quote(e.actionsExecuted)} ${quote(e.redirectUrl)} ${quote(e.errorReason)} ${quote(e.target)} ${quote(target)} ${quote(e.classification)} ${quote(e.classificationReason)} -`;
}

/**
 * Buffered: lines collect in memory and go out in one write per event-loop turn, so a busy proxy pays
 * one syscall per batch rather than per request. A file is written synchronously (O_APPEND, as nginx
 * writes its access log): a WriteStream sent every batch through libuv's thread pool, and the handoff
 * there and back made logging cost ~22 us of CPU per request (bench/proxy --with-access-log, c50). A
 * failed write drops its batch and says so once; logging never ends the proxy.
 */
export function createAccessLog(target: "off" | "stdout" | { file: string }): AccessLog {
  if (target === "off") return { write() {}, close: async () => {} };
  let fd: number | undefined;
  if (target !== "stdout") {
    mkdirSync(dirname(target.file), { recursive: true });
    fd = openSync(target.file, "a");
  }
  const toStdout = fd === undefined;
  let buffer = "";
  let scheduled = false;
  let failed = false;
  const flush = () => {
    scheduled = false;
    if (buffer === "") return;
    const chunk = buffer;
    buffer = "";
    if (toStdout) {
      process.stdout.write(chunk);
      return;
    }
    // Closed: lines of requests that ended after close() have nowhere to go.
    if (fd === undefined) {
      return;
    }
    try {
      writeAll(fd, Buffer.from(chunk, "utf8"));
    } catch (error) {
      if (!failed) console.error("access log: a write failed; its lines are dropped", error);
      failed = true;
    }
  };
  return {
    write(entry) {
      buffer += `${formatEntry(entry)}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close: async () => {
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Writes every byte (a regular file takes them in one write; the loop covers a short one). */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
