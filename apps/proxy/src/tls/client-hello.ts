/**
 * Reads the server name (SNI) from a TLS ClientHello before OpenSSL sees it, so the connection can start
 * on the context of the certificates that name selects: Node's SNICallback installs only one certificate
 * of the context it is given, and ALB serves ECDSA or RSA for a name by what the client supports, which
 * needs both in the context the handshake starts with.
 *
 * Strict and bounded: anything that is not a well-formed ClientHello is `invalid` (OpenSSL then refuses
 * it itself), and no more than `maxClientHelloBytes` are ever held.
 */

export type ClientHelloResult =
  | { kind: "more" }
  | { kind: "complete"; serverName: string | undefined }
  | { kind: "invalid"; reason: string };

/** A ClientHello is at most a few kB (post-quantum key shares included); 64 kB is far beyond any real one. */
export const maxClientHelloBytes = 64 * 1024;

const recordHeader = 5;
const handshakeContentType = 22;
const clientHelloType = 1;
const maxRecordLength = 16_384 + 2048;

const more: ClientHelloResult = { kind: "more" };
const invalid = (reason: string): ClientHelloResult => ({ kind: "invalid", reason });

/** Looks at everything received so far (`data`, from the connection's first byte). */
export function readClientHello(data: Buffer): ClientHelloResult {
  // The handshake message may span records: gather their payloads until the message is whole.
  const parts: Buffer[] = [];
  let gathered = 0;
  let needed = -1;
  let offset = 0;
  while (needed < 0 || gathered < needed) {
    if (offset + recordHeader > data.length)
      return data.length >= maxClientHelloBytes ? invalid("too long") : more;
    if (data[offset] !== handshakeContentType) return invalid("not a handshake record");
    if (data[offset + 1] !== 3) return invalid("not TLS");
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > maxRecordLength) return invalid("bad record length");
    if (offset + recordHeader + length > data.length)
      return data.length >= maxClientHelloBytes ? invalid("too long") : more;
    const payload = data.subarray(offset + recordHeader, offset + recordHeader + length);
    parts.push(payload);
    gathered += payload.length;
    offset += recordHeader + length;
    if (needed < 0) {
      if (gathered < 4) continue;
      const head = parts.length === 1 ? payload : Buffer.concat(parts);
      if (head[0] !== clientHelloType) return invalid("not a ClientHello");
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > maxClientHelloBytes) return invalid("too long");
    }
  }
  const message = parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts);
  return parseClientHello(message.subarray(4, needed));
}

/** The ClientHello body: version, random, session id, ciphers, compression, then the extensions. */
function parseClientHello(body: Buffer): ClientHelloResult {
  const cursor = new Cursor(body);
  if (!cursor.skip(2 + 32)) return invalid("truncated ClientHello");
  if (!cursor.skipVector(1) || !cursor.skipVector(2) || !cursor.skipVector(1))
    return invalid("truncated ClientHello");
  if (cursor.remaining === 0) return { kind: "complete", serverName: undefined };
  const extensions = cursor.vector(2);
  if (!extensions || cursor.remaining !== 0) return invalid("malformed extensions");
  const ext = new Cursor(extensions);
  while (ext.remaining > 0) {
    const type = ext.uint(2);
    const data = ext.vector(2);
    if (type === undefined || !data) return invalid("malformed extension");
    if (type === 0) return serverNameOf(data);
  }
  return { kind: "complete", serverName: undefined };
}

/** The server_name extension (RFC 6066): a list of which only host_name (0) is defined. */
function serverNameOf(data: Buffer): ClientHelloResult {
  const outer = new Cursor(data);
  const list = outer.vector(2);
  if (!list || outer.remaining !== 0) return invalid("malformed server_name");
  const names = new Cursor(list);
  while (names.remaining > 0) {
    const type = names.uint(1);
    const name = names.vector(2);
    if (type === undefined || !name) return invalid("malformed server_name");
    if (type !== 0) continue;
    const text = name.toString("latin1");
    // A DNS name: letters, digits, hyphens, dots, underscores; anything else is not one.
    if (text.length === 0 || text.length > 255 || !/^[A-Za-z0-9._*-]+$/.test(text))
      return invalid("bad host_name");
    return { kind: "complete", serverName: text };
  }
  return { kind: "complete", serverName: undefined };
}

class Cursor {
  private at = 0;
  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.at;
  }

  skip(bytes: number): boolean {
    if (this.remaining < bytes) return false;
    this.at += bytes;
    return true;
  }

  uint(bytes: 1 | 2): number | undefined {
    if (this.remaining < bytes) return undefined;
    const value = this.data.readUIntBE(this.at, bytes);
    this.at += bytes;
    return value;
  }

  /** A length-prefixed vector (`lengthBytes` of length, then that many bytes). */
  vector(lengthBytes: 1 | 2): Buffer | undefined {
    const length = this.uint(lengthBytes);
    if (length === undefined || this.remaining < length) return undefined;
    const out = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  skipVector(lengthBytes: 1 | 2): boolean {
    return this.vector(lengthBytes) !== undefined;
  }
}
