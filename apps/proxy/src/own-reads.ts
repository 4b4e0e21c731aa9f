import type { OnReadOpts } from "node:net";

/**
 * A plain-TCP target's bytes are read into buffers the proxy owns (node's `onread`) rather than into a
 * new 64 KiB buffer a read, which a large response leaves to the garbage collector, outside V8's heap,
 * 16 of them a MiB: V8 collects such external memory late, and glibc keeps much of what it frees, so a
 * proxy relaying 1 MiB bodies held 150-200 MB (bench/proxy-memory), and in layer 4's relay that garbage
 * cost as much CPU as the writes (its profile: 16 % each).
 *
 * Every socket starts on one buffer the whole process shares, whose bytes its reader copies out at once
 * (a small read costs the same copy node's own read makes). A read of `ownReadAfter` bytes or more
 * tells the reader to stream: it names a buffer of its own as its next one. When to replace that
 * buffer (a write still queued refers to its bytes) is the reader's own policy: the upstream
 * connection's `ReadBuffers` (upstream/read-buffers.ts), layer 4's `TcpFlow` (l4/tcp-flow.ts).
 */
export const readBufferSize = 64 * 1024;
export const ownReadAfter = 16 * 1024;
const sharedReadBuffer = Buffer.allocUnsafeSlow(readBufferSize);

/** What reads a socket into these buffers. */
export interface OwnReader {
  /** The buffer its next read goes into; undefined: the shared one. */
  readonly nextReadBuffer: Buffer | undefined;
  /** A read of `nread` bytes into `buf` (the shared buffer, or its own); false pauses the socket's reads. */
  fromRead(nread: number, buf: Uint8Array): boolean;
}

const readerKey = Symbol("ownReader");
interface ReaderSocket {
  [readerKey]?: OwnReader;
}

/**
 * The reader whose read was just handled: node asks for the next buffer right after the callback, and
 * (unlike the callback) not as a method of the socket. Anything else gets the shared buffer, which is
 * always safe.
 */
let lastReader: OwnReader | undefined;

function nextReadBuffer(): Buffer {
  const buffer = lastReader?.nextReadBuffer ?? sharedReadBuffer;
  lastReader = undefined;
  return buffer;
}

function onRead(this: ReaderSocket, nread: number, buf: Uint8Array): boolean {
  const reader = this[readerKey];
  lastReader = reader;
  return reader?.fromRead(nread, buf) ?? true;
}

/** The `onread` option of a socket read this way; `bindReader` then names the socket's reader. */
export const ownReadsOnRead: OnReadOpts = { buffer: nextReadBuffer, callback: onRead };

export function bindReader(socket: object, reader: OwnReader): void {
  (socket as ReaderSocket)[readerKey] = reader;
}
