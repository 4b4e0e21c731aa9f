/*
 * A strict, bounded HTTP/1.1 request-head parser (RFC 9112 section 3 and 5, RFC 9110 5.1 and 5.5), for a
 * server side on plain sockets instead of node:http's. It refuses what node:http's llhttp refuses in its
 * strict mode (the proxy runs it so): bare CR or LF, obs-fold, whitespace before a field's colon,
 * non-token names, control characters in values, unknown methods, malformed or duplicate Content-Length,
 * Content-Length beside Transfer-Encoding, and a Transfer-Encoding whose last coding is not chunked.
 * Everything subtler (ALB's desync classes, Host rules, target normalisation) is classifyRequest's, after
 * this, exactly as it runs after llhttp today.
 *
 * Bytes are read as latin1, one char a byte, as node:http gives heads to the proxy.
 */

/** What the server needs to frame the request and keep or close its connection. */
export interface RequestHeadFields {
  method: string;
  /** The request-target as sent. */
  url: string;
  /** `1.1` or `1.0`, as node:http's `httpVersion`. */
  httpVersion: string;
  /** Names as sent, values without surrounding whitespace: name, value, name, value... */
  rawHeaders: string[];
  /** How the body is framed: none, a Content-Length, or chunked. */
  body: "none" | "length" | "chunked";
  /** The Content-Length (0 unless `body` is `length`). */
  contentLength: number;
  /** node:http's shouldKeepAlive: 1.1 without `close`, or 1.0 with `keep-alive`, in Connection. */
  keepAlive: boolean;
  /** node:http's upgrade: an Upgrade header with `upgrade` in Connection, or CONNECT. */
  upgrade: boolean;
  /** `Expect: 100-continue` (case-insensitive) on a 1.1 request. */
  expectContinue: boolean;
}

export type RequestHeadResult =
  | {
      kind: "head";
      head: RequestHeadFields /** bytes of the head, its blank line included */;
      length: number;
    }
  | { kind: "incomplete" }
  | { kind: "invalid"; status: 400 | 431; reason: string };

export interface RequestHeadLimits {
  /** The whole head in bytes (request line, fields, line ends); the proxy gives ALB's 64 KiB. */
  maxHeadBytes: number;
  /** Header fields; node:http keeps the first maxHeadersCount (2000) silently, this refuses beyond. */
  maxHeaders: number;
  /** The methods llhttp knows (node:http's METHODS): any other is refused, as llhttp refuses it. */
  methods: ReadonlySet<string>;
}

const cr = 0x0d;
const lf = 0x0a;
const sp = 0x20;
const htab = 0x09;
const colon = 0x3a;

/** RFC 9110 tchar. */
const tchar = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") tchar[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) tchar[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) tchar[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) tchar[c] = 1;

/** A field value's bytes: HTAB, SP, VCHAR and obs-text; no other control and no DEL. */
const valueChar = new Uint8Array(256);
valueChar[htab] = 1;
for (let c = 0x20; c <= 0x7e; c++) valueChar[c] = 1;
for (let c = 0x80; c <= 0xff; c++) valueChar[c] = 1;

/** A request-target's bytes: VCHAR (llhttp refuses obs-text there too; classifyRequest judges the rest). */
const targetChar = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) targetChar[c] = 1;

const invalid = (reason: string): RequestHeadResult => ({ kind: "invalid", status: 400, reason });
const tooLarge: RequestHeadResult = { kind: "invalid", status: 431, reason: "HeadTooLarge" };
const incomplete: RequestHeadResult = { kind: "incomplete" };

/**
 * Where the head that starts at `start` ends (the index after its blank line), -1 while it may still come,
 * or -2 for a bare LF (refused at once rather than waited on). `from` resumes a scan already made up to
 * there, so a head arriving in many reads is scanned once.
 */
export function findHeadEnd(bytes: Uint8Array, start: number, from: number): number {
  for (let i = Math.max(from, start); i < bytes.length; i++) {
    if (bytes[i] !== lf) continue;
    if (i === start || bytes[i - 1] !== cr) return -2;
    if (i - start >= 3 && bytes[i - 2] === lf && bytes[i - 3] === cr) return i + 1;
  }
  return -1;
}

/** Empty lines before a request line (RFC 9112 2.2: a server SHOULD ignore at least one). */
function skipEmptyLines(bytes: Uint8Array, start: number): number {
  let at = start;
  while (at + 1 < bytes.length && bytes[at] === cr && bytes[at + 1] === lf) at += 2;
  return at;
}

/**
 * Parses the request head at `start` of `bytes`. `incomplete` while its blank line has not arrived and it
 * is still within the limit; `invalid` with the status to answer (the connection must close after it).
 */
export function parseRequestHead(
  bytes: Uint8Array,
  start: number,
  limits: RequestHeadLimits,
  scannedTo = start,
): RequestHeadResult {
  const begin = skipEmptyLines(bytes, start);
  if (begin - start > limits.maxHeadBytes) return tooLarge;
  const end = findHeadEnd(bytes, begin, Math.max(begin, scannedTo - 3));
  if (end === -2) return invalid("BareLineFeed");
  if (end === -1) return bytes.length - begin > limits.maxHeadBytes ? tooLarge : incomplete;
  if (end - begin > limits.maxHeadBytes) return tooLarge;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + begin, end - begin).toString("latin1");
  const parsed = parseHeadText(text, limits);
  return typeof parsed === "string" ? invalid(parsed) : { kind: "head", head: parsed, length: end - start };
}

/** The request line and fields of a complete head (ending in CRLF CRLF); a string names a refusal. */
function parseHeadText(text: string, limits: RequestHeadLimits): RequestHeadFields | string {
  // Request line: method SP request-target SP HTTP-version CRLF, single spaces.
  let i = 0;
  while (i < text.length && tchar[text.charCodeAt(i)] === 1) i++;
  if (i === 0 || text.charCodeAt(i) !== sp) return "BadMethod";
  const method = text.slice(0, i);
  if (!limits.methods.has(method)) return "UnknownMethod";
  const urlStart = ++i;
  while (i < text.length && targetChar[text.charCodeAt(i)] === 1) i++;
  if (i === urlStart || text.charCodeAt(i) !== sp) return "BadRequestTarget";
  const url = text.slice(urlStart, i);
  i++;
  if (
    text.charCodeAt(i) !== 0x48 || // HTTP/
    text.charCodeAt(i + 1) !== 0x54 ||
    text.charCodeAt(i + 2) !== 0x54 ||
    text.charCodeAt(i + 3) !== 0x50 ||
    text.charCodeAt(i + 4) !== 0x2f ||
    text.charCodeAt(i + 5) !== 0x31 || // 1.0 or 1.1: llhttp takes 0.9 and 2.0 too, classifyRequest answers 505
    text.charCodeAt(i + 6) !== 0x2e ||
    (text.charCodeAt(i + 7) !== 0x30 && text.charCodeAt(i + 7) !== 0x31) ||
    text.charCodeAt(i + 8) !== cr ||
    text.charCodeAt(i + 9) !== lf
  )
    return "BadVersion";
  const minor = text.charCodeAt(i + 7) - 0x30;
  i += 10;

  const rawHeaders: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection = "";
  let hasUpgrade = false;
  let expectContinue = false;
  // The head ends with CRLF CRLF: the last field line's CRLF, then the blank line's at text.length - 2.
  const last = text.length - 2;
  while (i < last) {
    if (rawHeaders.length >= limits.maxHeaders * 2) return "TooManyHeaders";
    const nameStart = i;
    while (tchar[text.charCodeAt(i)] === 1) i++;
    if (i === nameStart)
      return text.charCodeAt(i) === sp || text.charCodeAt(i) === htab ? "ObsFold" : "BadHeaderName";
    if (text.charCodeAt(i) !== colon) return "BadHeaderName";
    const name = text.slice(nameStart, i);
    i++;
    while (text.charCodeAt(i) === sp || text.charCodeAt(i) === htab) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === cr) break;
      if (valueChar[c] !== 1) return "BadHeaderValue";
      i++;
      if (c !== sp && c !== htab) valueEnd = i;
    }
    if (text.charCodeAt(i + 1) !== lf) return "BareCarriageReturn";
    i += 2;
    const value = text.slice(valueStart, valueEnd);
    rawHeaders.push(name, value);

    // Framing and connection fields: names compared by length first, then without case.
    const n = name.length;
    if (n === 14 && name.toLowerCase() === "content-length") {
      if (contentLength !== -1) return "DuplicateContentLength";
      contentLength = decimal(value);
      if (contentLength < 0) return "BadContentLength";
    } else if (n === 17 && name.toLowerCase() === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    } else if (n === 10 && name.toLowerCase() === "connection") {
      connection = connection === "" ? value : `${connection},${value}`;
    } else if (n === 7 && name.toLowerCase() === "upgrade") {
      hasUpgrade = true;
    } else if (n === 6 && name.toLowerCase() === "expect") {
      expectContinue = value.toLowerCase() === "100-continue";
    }
  }

  let body: RequestHeadFields["body"] = contentLength > 0 ? "length" : "none";
  if (transferEncoding !== undefined) {
    if (contentLength !== -1) return "ContentLengthWithTransferEncoding";
    // RFC 9112 6.3: a request whose final coding is not chunked cannot be framed; llhttp refuses it too.
    if (!lastCodingIsChunked(transferEncoding)) return "BadTransferEncoding";
    body = "chunked";
  }
  const close = hasToken(connection, "close");
  return {
    method,
    url,
    httpVersion: minor === 1 ? "1.1" : "1.0",
    rawHeaders,
    body,
    contentLength: body === "length" ? contentLength : 0,
    keepAlive: minor === 1 ? !close : !close && hasToken(connection, "keep-alive"),
    upgrade: method === "CONNECT" || (hasUpgrade && hasToken(connection, "upgrade")),
    expectContinue: expectContinue && minor === 1,
  };
}

/** 1*DIGIT as a number, -1 when not that or beyond 2^53 - 1 (llhttp takes up to 2^64 - 1: none fits a body here). */
function decimal(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether a comma-separated list holds `token` (ASCII case-insensitive, surrounding whitespace ignored). */
export function hasToken(list: string, token: string): boolean {
  if (list.length < token.length) return false;
  for (const part of list.split(",")) if (part.trim().toLowerCase() === token) return true;
  return false;
}

function lastCodingIsChunked(list: string): boolean {
  const codings = list.split(",");
  const final = codings[codings.length - 1] ?? "";
  // Parameters (`chunked;x=y`) are not chunked: RFC 9112 7.1 gives chunked none.
  return final.trim().toLowerCase() === "chunked";
}
