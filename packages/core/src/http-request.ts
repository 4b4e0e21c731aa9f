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

/** RFC 3986 unreserved: the only characters whose percent-encoding may be decoded without changing meaning. */
const unreserved = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) unreserved[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) unreserved[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) unreserved[c] = 1;
for (const c of "-._~") unreserved[c.charCodeAt(0)] = 1;

/** Characters a Host (reg-name, IPv4, IP-literal, port) may hold: unreserved, sub-delims, `%:[]`. */
const hostChar = new Uint8Array(128);
for (let c = 0; c < 128; c++) hostChar[c] = unreserved[c] ?? 0;
for (const c of "!$&'()*+,;=%:[]") hostChar[c.charCodeAt(0)] = 1;

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

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** ASCII lower-case equality without allocating; `lower` is already lower-case. */
function equalsIgnoreCase(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
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

// ---- Path normalisation ------------------------------------------------------------------------------

function isSlashOrDot(c: number): boolean {
  return c === 0x2f || c === 0x2e;
}

/** `null` when the path climbs above the root or holds a malformed escape (nginx answers both with 400). */
function normalisePath(raw: string): string | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || (c === 0x2f && isSlashOrDot(raw.charCodeAt(i + 1)))) return normaliseSlow(raw);
  }
  return raw;
}

function normaliseSlow(raw: string): string | null {
  // Decode unreserved escapes first, so `%2e%2e` is a dot segment (as nginx decodes before merging);
  // every other escape stays encoded, upper-cased (RFC 3986 6.2.2.1), so `%2F` never becomes a separator.
  let decoded = "";
  let copied = 0;
  for (let i = raw.indexOf("%"); i >= 0; i = raw.indexOf("%", copied)) {
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    const byte = hi * 16 + lo;
    decoded += raw.slice(copied, i);
    decoded += unreserved[byte] === 1 ? String.fromCharCode(byte) : raw.slice(i, i + 3).toUpperCase();
    copied = i + 3;
  }
  decoded += raw.slice(copied);
  // Segments between slashes; empty ones (repeated slashes) vanish, `.` vanishes, `..` pops.
  const out: string[] = [];
  let start = 1;
  const trailing = decoded.length > 1 && decoded.endsWith("/");
  let endsInDot = false;
  while (start <= decoded.length) {
    let end = decoded.indexOf("/", start);
    if (end < 0) end = decoded.length;
    const segment = decoded.slice(start, end);
    endsInDot = false;
    if (segment === "..") {
      if (out.length === 0) return null;
      out.pop();
      endsInDot = true;
    } else if (segment === ".") {
      endsInDot = true;
    } else if (segment !== "") {
      out.push(segment);
    }
    start = end + 1;
  }
  // `/a/..` and `/a/.` name a directory, as does `/a/`: keep the trailing slash they imply.
  const body = `/${out.join("/")}`;
  return (trailing || endsInDot) && out.length > 0 ? `${body}/` : body;
}

// ---- Request target forms ---------------------------------------------------------------------------

interface Target {
  /** The path as sent (origin form, or the absolute form's path), before normalisation. */
  rawPath: string;
  /** Everything after the first `?`, or undefined when there is no `?`. */
  query: string | undefined;
  /** The authority of an absolute-form target. */
  authority: string | undefined;
  /** The target is `rawPath` then `?query`, exactly: forwarding it unchanged needs no new string. */
  exact: boolean;
  /** `rawPath` holds no escape, dot segment or repeated slash: it is already normal. */
  normal: boolean;
}

/** The length of a leading `http://` or `https://` (any case), else 0. */
function schemeLength(target: string): number {
  if (target.length < 8 || !equalsIgnoreCase(target.slice(0, 4), "http")) return 0;
  let i = 4;
  if ((target.charCodeAt(i) | 0x20) === 0x73) i++;
  return target.startsWith("://", i) ? i + 3 : 0;
}

/** Splits a request-target; a string is the reason it cannot be served. */
function parseTarget(method: string, target: string, findings: Findings): Target | string {
  let rest = target;
  let authority: string | undefined;
  const first = target.charCodeAt(0);
  if (first !== 0x2f) {
    if (target === "*") {
      return method === "OPTIONS"
        ? { rawPath: "*", query: undefined, authority, exact: true, normal: true }
        : "AsteriskFormNotOptions";
    }
    const skip = schemeLength(target);
    // Authority form (CONNECT host:port) and anything else: ALB is no forward proxy.
    if (skip === 0) return method === "CONNECT" ? "AuthorityForm" : "BadUri";
    let end = skip;
    while (end < target.length) {
      const c = target.charCodeAt(end);
      if (c === 0x2f || c === 0x3f || c === 0x23) break;
      end++;
    }
    authority = target.slice(skip, end);
    // RFC 9110 4.2.4: userinfo in an http(s) URI is an error, and a classic way to disguise the host.
    if (authority.length === 0 || authority.includes("@")) return "BadUri";
    rest = target.slice(end);
    if (rest.length === 0 || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
  }
  // One pass: control characters, the query, a fragment, and whether the path needs normalising.
  let query: string | undefined;
  let pathEnd = rest.length;
  let normal = true;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (query === undefined && (c === 0x25 || (c === 0x2f && isSlashOrDot(rest.charCodeAt(i + 1))))) {
      normal = false;
    }
    if (c < 0x21 || c === 0x7f) {
      // guardian: NUL and CR in a URI are Severe (BadUri), other controls Ambiguous, a space Acceptable.
      if (c === 0x00 || c === 0x0d || c === 0x0a) findings.note("severe", "BadUri");
      else if (c === 0x20) findings.note("acceptable", "SpaceInUri");
      else findings.note("ambiguous", "AmbiguousUri");
    } else if (c === 0x3f && query === undefined && pathEnd === rest.length) {
      pathEnd = i;
      query = "";
    } else if (c === 0x23) {
      // A fragment is not part of a request-target (RFC 9112 3.2); targets drop it, so rules must too.
      findings.note("acceptable", "FragmentInUri");
      if (query === undefined) pathEnd = i;
      else query = rest.slice(pathEnd + 1, i);
      return { rawPath: rest.slice(0, pathEnd), query, authority, exact: false, normal };
    }
  }
  if (query !== undefined) query = rest.slice(pathEnd + 1);
  return {
    rawPath: pathEnd === rest.length ? rest : rest.slice(0, pathEnd),
    query,
    authority,
    exact: authority === undefined,
    normal,
  };
}

/** Lower-cased host without port, or null when the value cannot be a Host. */
function hostWithoutPort(value: string): string | null {
  let colon = -1;
  let brackets = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || hostChar[c] !== 1) return null;
    if (c === 0x3a) colon = i;
    else if (c === 0x5b || c === 0x5d) brackets++;
  }
  if (brackets > 0 && (brackets !== 2 || value.charCodeAt(0) !== 0x5b)) return null;
  if (brackets > 0) {
    const close = value.indexOf("]");
    if (close < 0 || (close !== value.length - 1 && value.charCodeAt(close + 1) !== 0x3a)) return null;
    colon = close === value.length - 1 ? -1 : close + 1;
  }
  let host = value;
  if (colon >= 0) {
    for (let i = colon + 1; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return null;
    }
    host = value.slice(0, colon);
  }
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return host.toLowerCase();
  }
  return host;
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

/** Normalises a path as the router sees it; exported for tests and for rules that build paths. */
export function normaliseRequestPath(path: string): string | null {
  return normalisePath(path);
}
