/**
 * A strict, bounded, incremental HTTP/1.x response parser (RFC 9112, with llhttp's strict mode as the
 * reference for what to refuse). It holds no socket: bytes go in through `execute`, the head and body
 * come out through callbacks, and a violation comes back as a reason, never as an exception. Everything
 * it lets through is something node:http will write to a client without throwing (status 100-599 as RFC 9110 15 says,
 * token header names, values of HTAB / SP / VCHAR / obs-text only).
 */

/** How the body of a response is delimited (RFC 9112 6.3). */
export type Framing = "none" | "length" | "chunked" | "close";

export interface ResponseHead {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  status: number;
  /**
   * The header fields as a flat [name, value, ...] list in arrival order, names lower-cased, repeated
   * fields repeated; Content-Length reduced to one value (or dropped beside Transfer-Encoding). Flat, not
   * an object: the relay hands it to writeHead as it is, and building an object keyed by whatever names a
   * target sends cost a dictionary and megamorphic lookups per response.
   */
  fields: string[];
  /** The Connection field's values joined with ", " ("" when there is none). */
  connection: string;
  framing: Framing;
  /** The connection may carry another exchange after this one (keep-alive and unambiguous framing). */
  reusable: boolean;
}

export interface ParserCallbacks {
  /** A final (non-1xx) response head. Informational heads are skipped. */
  onHead(head: ResponseHead): void;
  /**
   * Body bytes; answers false when the consumer wants the source paused (the parser goes on). `last`:
   * these bytes end a Content-Length body (the consumer may end its side in the same write).
   */
  onBody(chunk: Buffer, last: boolean): boolean;
}

/** What one `execute` call ended with. */
export type ExecuteResult =
  /** Every byte was used; more are needed. `pause`: a body callback asked for backpressure. */
  | { readonly kind: "more"; readonly pause: boolean }
  /** The response is complete; `extra` bytes followed it (the connection cannot be trusted again). */
  | { readonly kind: "complete"; readonly extra: number }
  | { readonly kind: "error"; readonly reason: string };

export const maxHeadBytes = 64 * 1024;
export const maxHeaderCount = 100;
/** Chunk-size lines (size plus extensions) and trailer sections have their own bounds. */
export const maxChunkLineBytes = 4096;
export const maxTrailerBytes = 16 * 1024;
/** 15 decimal digits stays below 2^53: a length can never lose precision. */
const maxLengthDigits = 15;
/** 12 hex digits: 256 TiB per chunk, exact in a double. */
const maxChunkSizeDigits = 12;

const crlfcrlf = Buffer.from("\r\n\r\n");
const statusLine = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
// A field line (RFC 9110 5.1, 5.5): a token name, a colon, and a value of HTAB / SP / VCHAR / obs-text
// (no obs-fold: a line starting with whitespace is not a token). Surrounding whitespace is trimmed after.
const fieldLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e\x80-\xff]*)$/;
/**
 * A whole head (without its final CRLFCRLF) checked in one linear pass: the status line and field lines
 * as above, each ending in CRLF, so a bare CR or LF anywhere fails it. Lines are split after it passes.
 */
const headPattern =
  /^HTTP\/1\.[01] [1-5]\d\d(?: [\t\x20-\x7e\x80-\xff]*)?(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/;
/** Any control byte but HTAB, and DEL: tested on head text whose CRLF line ends were removed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose.
const forbidden = /[\x00-\x08\x0a-\x1f\x7f]/;
const digits = /^\d+$/;
const chunkLine = /^([0-9A-Fa-f]+)[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;

// The common answers, shared: `execute` runs once per read of every response.
const more: ExecuteResult = { kind: "more", pause: false };
const morePaused: ExecuteResult = { kind: "more", pause: true };
const complete: ExecuteResult = { kind: "complete", extra: 0 };

type State =
  | "head"
  | "length"
  | "close"
  | "chunk-size"
  | "chunk-data"
  | "chunk-data-end"
  | "trailers"
  | "done"
  | "failed";

export class ResponseParser {
  private state: State = "head";
  private headRequest = false;
  /** Head bytes (or a chunk line, or trailers) received so far without their terminator. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private trailerBytes = 0;

  constructor(private readonly callbacks: ParserCallbacks) {}

  /** Prepares for the response to a new request. `headRequest`: the response has no body. */
  reset(headRequest: boolean): void {
    this.state = "head";
    this.headRequest = headRequest;
    this.pending = undefined;
    this.remaining = 0;
    this.trailerBytes = 0;
  }

  /** The response's end is the connection's close (a close-delimited body): answers whether it was. */
  finishOnClose(): boolean {
    if (this.state !== "close") return false;
    this.state = "done";
    return true;
  }

  /** Stops parsing (the exchange ended elsewhere): later `execute` calls do nothing. */
  stop(): void {
    this.state = "failed";
  }

  execute(data: Buffer): ExecuteResult {
    let offset = 0;
    let pause = false;
    while (offset < data.length) {
      switch (this.state) {
        case "head": {
          const used = this.parseHead(data, offset);
          if (typeof used === "string") return this.fail(used);
          if (used === -1) return pause ? morePaused : more;
          offset = used;
          break;
        }
        case "length": {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          const chunk = take === data.length ? data : data.subarray(offset, offset + take);
          offset += take;
          const last = this.remaining === 0;
          if (!this.callbacks.onBody(chunk, last)) pause = true;
          if (last && this.state === "length") this.state = "done";
          break;
        }
        case "close": {
          if (!this.callbacks.onBody(offset === 0 ? data : data.subarray(offset), false)) pause = true;
          offset = data.length;
          break;
        }
        case "chunk-data": {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          if (!this.callbacks.onBody(data.subarray(offset, offset + take), false)) pause = true;
          offset += take;
          if (this.remaining === 0) this.state = "chunk-data-end";
          break;
        }
        case "chunk-size":
        case "chunk-data-end":
        case "trailers": {
          const used = this.parseLine(data, offset);
          if (typeof used === "string") return this.fail(used);
          if (used === -1) return pause ? morePaused : more;
          offset = used;
          break;
        }
        case "done":
          return offset === data.length ? complete : { kind: "complete", extra: data.length - offset };
        case "failed":
          return { kind: "error", reason: "the response was already rejected" };
      }
      // A callback may have stopped the parser (its exchange ended).
      if ((this.state as State) === "failed") return { kind: "error", reason: "the exchange ended" };
    }
    if (this.state === "done") return complete;
    return pause ? morePaused : more;
  }

  private fail(reason: string): ExecuteResult {
    this.state = "failed";
    this.pending = undefined;
    return { kind: "error", reason };
  }

  /** Bytes not yet terminated, joined with the new ones from `offset`. */
  private gather(data: Buffer, offset: number): Buffer {
    const tail = offset === 0 ? data : data.subarray(offset);
    const pending = this.pending;
    this.pending = undefined;
    return pending ? Buffer.concat([pending, tail]) : tail;
  }

  /**
   * Parses a head from `data` at `offset`: answers the offset after it, -1 when it is incomplete (the
   * bytes are kept), or the reason it is invalid.
   */
  private parseHead(data: Buffer, offset: number): number | string {
    const pendingLength = this.pending?.length ?? 0;
    const buffer = this.gather(data, offset);
    const end = buffer.indexOf(crlfcrlf);
    if (end === -1) {
      if (buffer.length > maxHeadBytes) return "the response head is too large";
      // Refuse early what can never become valid, rather than wait for a terminator or a timeout.
      const text = buffer.toString("latin1");
      if (forbidden.test(text.replaceAll("\r\n", "").replace(/\r$/, "")))
        return "the response head has a control character or a bare CR/LF";
      // A copy: `data` may be a view of a read buffer the next read overwrites (read-buffers.ts).
      this.pending = buffer.buffer === data.buffer ? Buffer.from(buffer) : buffer;
      return -1;
    }
    if (end > maxHeadBytes) return "the response head is too large";
    const text = buffer.toString("latin1", 0, end);
    if (!headPattern.test(text)) {
      const first = text.indexOf("\r\n");
      return statusLine.test(first === -1 ? text : text.slice(0, first))
        ? "a response header field is malformed"
        : "the response does not start with a valid HTTP/1.x status line";
    }
    // Lines are walked in place (no split array, one slice per name and per value): this runs for every
    // response, and the pattern above has already proved each line a token, a colon and a clean value.
    const firstEnd = text.indexOf("\r\n");
    // The status line passed `headPattern`: "HTTP/1.x DDD".
    const minor = text.charCodeAt(7) === 49 ? 1 : 0;
    const status =
      (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    const fields: string[] = [];
    /** Where Content-Length's value is in `fields` (-1: none yet). */
    let lengthAt = -1;
    let contentLength: number | undefined;
    let transferEncoding: string | undefined;
    let connection = "";
    let count = 0;
    let lineStart = firstEnd === -1 ? text.length : firstEnd + 2;
    while (lineStart < text.length) {
      if (++count > maxHeaderCount) return "the response has too many header fields";
      let lineEnd = text.indexOf("\r\n", lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      const colon = text.indexOf(":", lineStart);
      const name = text.slice(lineStart, colon).toLowerCase();
      const value = owsTrimmed(text, colon + 1, lineEnd);
      lineStart = lineEnd + 2;
      if (name === "content-length") {
        const length = parseContentLength(value);
        if (length === undefined || (contentLength !== undefined && contentLength !== length))
          return "the response has an invalid Content-Length";
        contentLength = length;
        // RFC 9112 6.3: identical repeated values stand for one; the client gets a single value.
        const single =
          value.length === 0 || value.charCodeAt(0) === 48 || value.includes(",") ? String(length) : value;
        if (lengthAt === -1) {
          lengthAt = fields.length;
          fields.push(name, single);
        }
        continue;
      }
      if (name === "transfer-encoding")
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      else if (name === "connection") connection = connection === "" ? value : `${connection}, ${value}`;
      fields.push(name, value);
    }
    const next = offset + (end + 4 - pendingLength);
    if (status < 200) {
      // 100 Continue, 102, 103: informational; the real response follows. Node answers the client's
      // Expect: 100-continue itself. 101 would hand the connection to another protocol.
      if (status === 101) return "the target switched protocols on a plain request";
      return next;
    }
    const tokens = connection.toLowerCase();
    let reusable = minor === 1 ? !/(?:^|[\s,])close(?:$|[\s,])/.test(tokens) : tokens.includes("keep-alive");
    let framing: Framing;
    if (this.headRequest || status === 204 || status === 304) {
      framing = "none";
    } else if (transferEncoding !== undefined) {
      const codings = transferEncoding
        .toLowerCase()
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c !== "");
      const chunked = codings.filter((c) => c === "chunked").length;
      if (codings.length === 0 || (chunked > 0 && codings[codings.length - 1] !== "chunked") || chunked > 1)
        return "the response has an invalid Transfer-Encoding";
      // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; without chunked last, the body runs to
      // the close. Both at once hints at smuggling: the client gets no Content-Length and the connection
      // is not reused.
      framing = chunked === 1 ? "chunked" : "close";
      if (contentLength !== undefined) {
        fields.splice(lengthAt, 2);
        reusable = false;
      }
      // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means its framing is suspect.
      if (minor === 0) reusable = false;
    } else if (contentLength !== undefined) {
      framing = contentLength > 0 ? "length" : "none";
      this.remaining = contentLength;
    } else framing = "close";
    if (framing === "close") reusable = false;
    this.state =
      framing === "none"
        ? "done"
        : framing === "length"
          ? "length"
          : framing === "chunked"
            ? "chunk-size"
            : "close";
    this.callbacks.onHead({ minor, status, fields, connection, framing, reusable });
    return next;
  }

  /** A chunk-size line, the CRLF after chunk data, or a trailer line: same answers as `parseHead`. */
  private parseLine(data: Buffer, offset: number): number | string {
    const lf = data.indexOf(10, offset);
    if (lf === -1) {
      const pending = this.gather(data, offset);
      if (pending.length > maxChunkLineBytes) return "a chunk line is too long";
      this.pending = pending.buffer === data.buffer ? Buffer.from(pending) : pending;
      return -1;
    }
    const pendingLength = this.pending?.length ?? 0;
    if (pendingLength + lf - offset > maxChunkLineBytes) return "a chunk line is too long";
    const next = lf + 1;
    const lineBuffer = this.gather(data.subarray(0, next), offset);
    // Every line ends in CRLF; a CR or LF anywhere else is invalid.
    const text = lineBuffer.toString("latin1", 0, lineBuffer.length - 1);
    if (!text.endsWith("\r")) return "a chunk line does not end with CRLF";
    const line = text.slice(0, -1);
    if (line.includes("\r")) return "a chunk line has a bare CR";
    switch (this.state) {
      case "chunk-data-end":
        if (line !== "") return "chunk data is not followed by CRLF";
        this.state = "chunk-size";
        return next;
      case "chunk-size": {
        const match = chunkLine.exec(line);
        const hex = match?.[1];
        if (hex === undefined) return "a chunk size is malformed";
        const significant = hex.replace(/^0+/, "");
        if (significant.length > maxChunkSizeDigits) return "a chunk size is too large";
        const size = significant === "" ? 0 : Number.parseInt(significant, 16);
        if (size === 0) {
          this.state = "trailers";
          this.trailerBytes = 0;
        } else {
          this.remaining = size;
          this.state = "chunk-data";
        }
        return next;
      }
      default: {
        // Trailers: validated like header fields, bounded, and dropped (they are not forwarded).
        if (line === "") {
          this.state = "done";
          return next;
        }
        this.trailerBytes += line.length + 2;
        if (this.trailerBytes > maxTrailerBytes) return "the response trailers are too large";
        if (!fieldLine.test(line)) return "a response trailer field is malformed";
        return next;
      }
    }
  }
}

/** A Content-Length value: digits, or a list of identical digit values (RFC 9112 6.3); bounded. */
function parseContentLength(value: string): number | undefined {
  // The usual case, a few digits without leading zeros, needs no list or pattern.
  if (value.length > 0 && value.length <= maxLengthDigits && value.charCodeAt(0) !== 48) {
    let n = 0;
    for (let i = 0; i < value.length; i++) {
      const digit = value.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return parseContentLengthList(value);
      n = n * 10 + digit;
    }
    return n;
  }
  return parseContentLengthList(value);
}

function parseContentLengthList(value: string): number | undefined {
  let length: number | undefined;
  for (const part of value.includes(",") ? value.split(",") : [value]) {
    const item = part.trim();
    if (!digits.test(item)) return undefined;
    const significant = item.replace(/^0+(?=\d)/, "");
    if (significant.length > maxLengthDigits) return undefined;
    const n = Number(significant);
    if (length !== undefined && length !== n) return undefined;
    length = n;
  }
  return length;
}

/** `text` from `start` to `end` without the optional whitespace (SP, HTAB) around it (obs-text stays). */
function owsTrimmed(text: string, start: number, end: number): string {
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 32 || code === 9;
}
