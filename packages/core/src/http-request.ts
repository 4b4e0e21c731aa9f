/*
 * Request classification (ALB's desync mitigation, after aws/http-desync-guardian) and request-target
 * normalisation (nginx's location matching, RFC 3986 5.2.4), decided before any rule looks at a request.
 *
 * Invariants the router relies on: an `ok` verdict's `path` starts with `/` (or is `*` for `OPTIONS *`),
 * contains no `//`, `/./` or `/../`, and normalising it again changes nothing; `target` is what the
 * target receives, `path` plus the original query. Runs on every request: the compliant path is one pass
 * over the target and one over the headers, char codes instead of regular expressions, and builds new
 * strings only when something must change.
 */

import { equalsIgnoreCase, hostWithoutPort, normaliseSlow, parseTarget } from "./request-target.ts";

/** `routing.http.desync_mitigation_mode`. */
export type DesyncMode = "monitor" | "defensive" | "strictest";
/** http-desync-guardian's tiers, worst last. */
export type DesyncClass = "compliant" | "acceptable" | "ambiguous" | "severe";

/** A request head as node:http gives it: `httpVersion` as `1.1` (or `HTTP/1.1`), headers as sent. */
export interface RequestHead {
  method: string;
  target: string;
  httpVersion: string;
  rawHeaders: readonly string[];
}

export type RequestVerdict =
  | {
      ok: true;
      classification: DesyncClass;
      /** http-desync-guardian's reason (access log `classification_reason`); undefined when compliant. */
      reason: string | undefined;
      /** The normalised path that rules match. */
      path: string;
      /** The query without `?` (empty when there is none). */
      query: string;
      /** The Host without its port, lower-cased, as host-header conditions see it. */
      host: string;
      /** The request-target to forward: `path`, then `?query` when the request had a `?`. */
      target: string;
      /** Headers to forward, as name/value pairs; invalid ones dropped and Host set when needed. */
      rawHeaders: string[];
      /** Ambiguous in defensive mode: serve it, then close the client and target connections. */
      closeAfter: boolean;
    }
  | { ok: false; status: 400 | 414 | 431 | 505; classification: DesyncClass; reason: string };

export interface ClassifyOptions {
  mode: DesyncMode;
  /** `routing.http.drop_invalid_header_fields.enabled`. */
  dropInvalidHeaderFields: boolean;
  /** The Host given to an HTTP/1.0 request that sent none (the load balancer's DNS name). */
  defaultHost: string;
}

/**
 * `routing.http.desync_mitigation_mode` as a mode: stored values are validated, so anything else (an
 * attribute missing from an older row) is AWS's default, defensive.
 */
export function desyncModeOf(value: string | undefined): DesyncMode {
  return value === "monitor" || value === "strictest" ? value : "defensive";
}

/** ALB's quotas ("HTTP headers"): request line 16 K, a single header 16 K, the entire request header 64 K. */
export const maxRequestLineBytes = 16 * 1024;
export const maxHeaderLineBytes = 16 * 1024;
export const maxRequestHeadBytes = 64 * 1024;

const rank: Record<DesyncClass, number> = { compliant: 0, acceptable: 1, ambiguous: 2, severe: 3 };

type Rejection = Extract<RequestVerdict, { ok: false }>;

function reject(
  status: Rejection["status"],
  reason: string,
  classification: DesyncClass = "severe",
): Rejection {
  return { ok: false, status, classification, reason };
}

/** Keeps the worst classification seen; the first reason at that level names it (guardian does too). */
class Findings {
  classification: DesyncClass = "compliant";
  reason: string | undefined = undefined;
  note(classification: DesyncClass, reason: string): void {
    if (rank[classification] > rank[this.classification]) {
      this.classification = classification;
      this.reason = reason;
    }
  }
}

// ---- Character classes (char-code tables: one lookup a character on the hot path) ------------------

/** RFC 9110 tchar. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") tchar[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) tchar[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) tchar[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) tchar[c] = 1;

/** `[-A-Za-z0-9]`: what drop_invalid_header_fields keeps. */
const albNameChar = new Uint8Array(128);
albNameChar[0x2d] = 1;
for (let c = 0x30; c <= 0x39; c++) albNameChar[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) albNameChar[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) albNameChar[c] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || tchar[c] !== 1) return false;
  }
  return true;
}

function isAlbHeaderName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || albNameChar[c] !== 1) return false;
  }
  return true;
}

/** Whether the ASCII letters of `name`, lower-cased, spell `letters` (separators and digits skipped). */
function spells(name: string, letters: string): boolean {
  let k = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) continue;
    if (k >= letters.length || c !== letters.charCodeAt(k)) return false;
    k++;
  }
  return k === letters.length;
}

/**
 * A name that common normalisations (dropping separators and case) turn into Content-Length or
 * Transfer-Encoding without being it: `Transfer_Encoding`, `Content Length`, `\x01Content-Length`.
 * Allocation-free and usually decided at the first letter, as it runs for most header names.
 */
function masqueradesAsFraming(name: string): boolean {
  if (name.length < 13 || name.length > 32) return false;
  return spells(name, "contentlength") || spells(name, "transferencoding");
}

// ---- Versions and framing ----------------------------------------------------------------------------

type Version = "1.1" | "1.0" | "nonCompliant" | "unsupported" | "bad";

function parseVersion(v: string): Version {
  const s = v.startsWith("HTTP/") ? v.slice(5) : v;
  if (s === "1.1") return "1.1";
  if (s === "1.0") return "1.0";
  if (s.length !== 3 || s.charCodeAt(1) !== 0x2e) return "bad";
  const major = s.charCodeAt(0) - 0x30;
  const minor = s.charCodeAt(2) - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return "bad";
  // guardian: HTTP/1.2 to 1.9 and 0.9 are Acceptable; HTTP/2 and later cannot be an HTTP/1 request line.
  if ((major === 1 && minor >= 2) || (major === 0 && minor === 9)) return "nonCompliant";
  return "unsupported";
}

/**
 * One Content-Length field: its number; -1 when it is no decimal; -2 for a list of different values.
 * A list of equal values (`42, 42`) gives the value, and the caller calls it a duplicate.
 */
function contentLengthValue(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2c) return contentLengthList(value);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  // Beyond 2^53 the number is not exact, and no request body is that large.
  return value.length === 0 || value.length > 15 ? -1 : n;
}

function contentLengthList(value: string): number {
  let n = -1;
  for (const part of value.split(",")) {
    const v = contentLengthValue(part.trim());
    if (v < 0) return -1;
    if (n >= 0 && v !== n) return -2;
    n = v;
  }
  return n;
}

// ---- The classifier -------------------------------------------------------------------------------------

/**
 * Classifies a request head as ALB's desync mitigation does and normalises its target for routing.
 * `monitor` forwards everything; `defensive` rejects Severe and closes the connections after an
 * Ambiguous request; `strictest` forwards only Compliant requests. Limits, unsupported versions,
 * missing or duplicate Host and unroutable targets are rejected in every mode.
 */
export function classifyRequest(head: RequestHead, options: ClassifyOptions): RequestVerdict {
  const { method, target: rawTarget, rawHeaders } = head;
  const findings = new Findings();

  const version = parseVersion(head.httpVersion);
  // method SP target SP HTTP/x.y
  if (method.length + rawTarget.length + 10 > maxRequestLineBytes) return reject(414, "RequestLineTooLong");
  if (version === "unsupported") return reject(505, "UnsupportedVersion");
  if (version === "bad") findings.note("severe", "BadVersion");
  else if (version === "nonCompliant") findings.note("acceptable", "NonCompliantVersion");
  if (!isToken(method)) findings.note("severe", "BadMethod");

  const parsed = parseTarget(method, rawTarget, findings);
  if (typeof parsed === "string") return reject(400, parsed);

  // Headers, one pass: sizes, Host, framing, and the validity of every name and value.
  const getOrHead = method === "GET" || method === "HEAD";
  let headBytes = method.length + rawTarget.length + 12;
  let hostIndex = -1;
  let contentLength = -3; // -3 none seen, -1 bad, -2 conflicting values in one field, else the value
  let contentLengthCount = 0;
  let transferEncodingCount = 0;
  let kept: string[] | undefined; // a copy, made only when a header is dropped
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    const value = rawHeaders[i + 1] ?? "";
    const lineBytes = name.length + value.length + 2;
    if (lineBytes > maxHeaderLineBytes) return reject(431, "HeaderTooLarge", findings.classification);
    headBytes += lineBytes + 2;
    if (headBytes > maxRequestHeadBytes) return reject(431, "HeadersTooLarge", findings.classification);

    if (options.dropInvalidHeaderFields && !isAlbHeaderName(name)) {
      kept ??= rawHeaders.slice(0, i);
      continue;
    }
    if (kept !== undefined) kept.push(name, value);

    const nameLength = name.length;
    const isHost = nameLength === 4 && equalsIgnoreCase(name, "host");
    const isLength = nameLength === 14 && equalsIgnoreCase(name, "content-length");
    const isEncoding = nameLength === 17 && equalsIgnoreCase(name, "transfer-encoding");

    let badValue = false; // NUL, CR or LF: the value could end the header early somewhere downstream
    let oddValue = false; // other controls or non-ASCII: not RFC 9110, harmless to framing elsewhere
    for (let j = 0; j < value.length; j++) {
      const c = value.charCodeAt(j);
      if (c >= 0x20 && c < 0x7f) continue;
      if (c === 0x00 || c === 0x0d || c === 0x0a) badValue = true;
      else if (c !== 0x09) oddValue = true;
    }

    if (isHost) {
      if (hostIndex >= 0) return reject(400, "DuplicateHost");
      hostIndex = i;
    } else if (isLength) {
      contentLengthCount++;
      const n = oddValue || badValue ? -1 : contentLengthValue(value);
      if (n === -1) findings.note("severe", "BadContentLength");
      else if (n === -2) findings.note("severe", "MultipleContentLength");
      else if (contentLength >= 0 && n !== contentLength) findings.note("severe", "MultipleContentLength");
      else if (contentLength >= 0 || value.includes(","))
        findings.note("ambiguous", "DuplicateContentLength");
      if (n >= 0) contentLength = n;
    } else if (isEncoding) {
      transferEncodingCount++;
      if (oddValue || badValue || !equalsIgnoreCase(value.trim(), "chunked")) {
        // Only `chunked`, alone: `identity, chunked` and the like are read differently by different servers.
        findings.note("severe", "BadTransferEncoding");
      } else if (transferEncodingCount > 1) {
        findings.note("severe", "MultipleTransferEncodingChunked");
      }
    } else if (nameLength === 0) {
      findings.note("ambiguous", "EmptyHeader");
    } else if (!isToken(name)) {
      if (masqueradesAsFraming(name)) findings.note("ambiguous", "SuspiciousHeader");
      else findings.note("acceptable", "NonCompliantHeader");
    } else if (masqueradesAsFraming(name)) {
      findings.note("ambiguous", "SuspiciousHeader");
    }
    if (badValue) findings.note("severe", "BadHeader");
    else if (oddValue) findings.note("acceptable", "NonCompliantHeader");
  }

  if (contentLengthCount > 0 && transferEncodingCount > 0) findings.note("ambiguous", "BothTeClPresent");
  if (getOrHead && contentLengthCount > 0) {
    if (contentLength === 0) findings.note("acceptable", "GetHeadZeroContentLength");
    else findings.note("ambiguous", "UndefinedContentLengthSemantics");
  }
  if (getOrHead && transferEncodingCount > 0)
    findings.note("ambiguous", "UndefinedTransferEncodingSemantics");
  // guardian: HTTP/1.0 has no chunked coding, so a 1.0 peer and a 1.1 peer frame the body differently.
  if (version === "1.0" && transferEncodingCount > 0) {
    findings.note("ambiguous", "UndefinedTransferEncodingSemantics");
  }

  const blocked =
    options.mode === "strictest"
      ? findings.classification !== "compliant"
      : options.mode === "defensive" && findings.classification === "severe";
  if (blocked) return reject(400, findings.reason ?? "NonCompliant", findings.classification);

  // Host: the absolute form's authority wins over the header (RFC 9112 3.2.2) and replaces it.
  let headers = kept;
  let hostValue: string;
  if (parsed.authority !== undefined) {
    hostValue = parsed.authority;
    headers ??= rawHeaders.slice();
    const at = hostIndex >= 0 ? indexOfHost(headers) : -1;
    if (at >= 0) headers[at + 1] = hostValue;
    else headers.push("Host", hostValue);
  } else if (hostIndex >= 0) {
    hostValue = (rawHeaders[hostIndex + 1] ?? "").trim();
  } else if (version === "1.1") {
    return reject(400, "MissingHost");
  } else {
    hostValue = options.defaultHost;
    headers ??= rawHeaders.slice();
    headers.push("Host", hostValue);
  }
  const host = hostWithoutPort(hostValue);
  if (host === null) return reject(400, "BadHost");

  let path: string;
  if (parsed.rawPath === "*") {
    path = "*";
  } else {
    const normal = parsed.normal ? parsed.rawPath : normaliseSlow(parsed.rawPath);
    if (normal === null) return reject(400, "BadPath");
    path = normal;
  }
  const query = parsed.query ?? "";
  const target =
    parsed.exact && path === parsed.rawPath
      ? rawTarget
      : parsed.query === undefined
        ? path
        : `${path}?${query}`;

  return {
    ok: true,
    classification: findings.classification,
    reason: findings.reason,
    path,
    query,
    host,
    target,
    rawHeaders: headers ?? rawHeaders.slice(),
    closeAfter: options.mode === "defensive" && findings.classification === "ambiguous",
  };
}

/** Where Host sits in a copy whose indices may have moved (headers before it may have been dropped). */
function indexOfHost(headers: readonly string[]): number {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (equalsIgnoreCase(headers[i] ?? "", "host")) return i;
  }
  return -1;
}
