/*
 * Request-target forms (RFC 9112 3.2) and path normalisation as nginx matches locations (RFC 3986 5.2.4):
 * what the router sees of a request's target. Only unreserved escapes are decoded, dot segments removed,
 * repeated slashes merged; a path that climbs above the root or holds a bad escape cannot be served.
 */
import type { DesyncClass } from "./http-request.ts";

/** Where a finding about the target is noted (the classifier keeps the worst). */
export interface TargetFindings {
  note(classification: DesyncClass, reason: string): void;
}

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

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** ASCII lower-case equality without allocating; `lower` is already lower-case. */
export function equalsIgnoreCase(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

// ---- Path normalisation ------------------------------------------------------------------------------

function isSlashOrDot(c: number): boolean {
  return c === 0x2f || c === 0x2e;
}

/** The full normalisation, for a path the single target pass found not normal. */
export function normaliseSlow(raw: string): string | null {
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

export interface Target {
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
export function parseTarget(method: string, target: string, findings: TargetFindings): Target | string {
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
export function hostWithoutPort(value: string): string | null {
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
/**
 * Normalises a path as the router sees it (exported for tests and for rules that build paths): `null` when the path climbs above the root or holds a malformed escape (nginx answers both with 400). */
export function normaliseRequestPath(raw: string): string | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || (c === 0x2f && isSlashOrDot(raw.charCodeAt(i + 1)))) return normaliseSlow(raw);
  }
  return raw;
}
