import type { OnReadOpts } from "node:net";

/**
 * A plain-TCP target's bytes are read into buffers the proxy owns (node's `onread`) rather than into a
 * new 64 KiB buffer a read, which a large response leaves to the garbage collector, outside V8's heap,
 * 16 of them a MiB: V8 collects such external memory late, and glibc keeps much of what it frees, so a
 * proxy relaying 1 MiB bodies held 150-200 MB (bench/proxy-memory). As layer 4's TcpFlow does: every
 * connection starts on one buffer the whole process shares, whose bytes are copied out at once (a small
 * response costs the same copy node's own read makes); a read of `ownReadAfter` bytes or more gives the
 * connection buffers of its own, each read into again only once every chunk relayed from it has been
 * written out (the sink gives it back: `ResponseSink.onResponseData`'s `done`), so a write left queued
 * never sees its bytes overwritten.
 */
export const readBufferSize = 64 * 1024;
export const ownReadAfter = 16 * 1024;
const sharedReadBuffer = Buffer.allocUnsafeSlow(readBufferSize);

/** What reads into these buffers: the upstream connection (connection.ts). */
export interface BufferedReader {
  readonly reads: ReadBuffers;
  /** A read of `nread` bytes into `buf`; false pauses the socket's reads. */
  fromRead(nread: number, buf: Uint8Array): boolean;
}

const readerKey = Symbol("bufferedReader");
interface ReaderSocket {
  [readerKey]?: BufferedReader;
}

/**
 * The reader whose read was just handled: node asks for the next buffer right after the callback, and
 * (unlike the callback) not as a method of the socket. Anything else gets the shared buffer, which is
 * always safe.
 */
let lastReader: BufferedReader | undefined;

function nextReadBuffer(): Buffer {
  const buffer = lastReader?.reads.next ?? sharedReadBuffer;
  lastReader = undefined;
  return buffer;
}

function onRead(this: ReaderSocket, nread: number, buf: Uint8Array): boolean {
  const reader = this[readerKey];
  lastReader = reader;
  return reader?.fromRead(nread, buf) ?? true;
}

/** The `onread` option of a target's socket; `bindReader` then names the socket's reader. */
export const upstreamOnRead: OnReadOpts = { buffer: nextReadBuffer, callback: onRead };

export function bindReader(socket: object, reader: BufferedReader): void {
  (socket as ReaderSocket)[readerKey] = reader;
}

/** One read's own buffer, lent to the chunks relayed from it until each is written out. */
class Loan {
  /** The read itself until it has been relayed, and each chunk handed on and not yet given back. */
  held = 1;
  constructor(
    private readonly reads: ReadBuffers,
    readonly buffer: Buffer,
  ) {}
  readonly back = (): void => {
    if (--this.held === 0) this.reads.returned(this.buffer);
  };
}

/**
 * A connection's read buffers: `next` (the one its next read goes into; none while it reads into the
 * shared one) and at most one spare, which a buffer whose chunks were all written out becomes.
 */
export class ReadBuffers {
  next: Buffer | undefined;
  private spare: Buffer | undefined;
  private loan: Loan | undefined;

  /** A read of `nread` bytes into `buf`: the chunk to relay (a view of an own buffer, or a copy). */
  begin(nread: number, buf: Uint8Array): Buffer {
    const view = Buffer.from(buf.buffer, buf.byteOffset, nread);
    if (buf === this.next) {
      this.loan = new Loan(this, this.next);
      return view;
    }
    // The shared buffer is every quiet connection's next read: what landed there is copied out.
    this.loan = undefined;
    if (nread >= ownReadAfter) this.next = this.takeSpare();
    return Buffer.from(view);
  }

  /**
   * A chunk of the current read is handed on: the function its taker calls once done with the bytes
   * (written out), undefined when they are a copy and need no giving back.
   */
  hold(): (() => void) | undefined {
    const loan = this.loan;
    if (!loan) return undefined;
    loan.held++;
    return loan.back;
  }

  /** The read has been relayed; `idle`: its connection went back to the pool, and holds no buffer. */
  end(idle: boolean): void {
    const loan = this.loan;
    this.loan = undefined;
    if (idle) {
      this.next = undefined;
      this.spare = undefined;
    }
    if (!loan) return;
    loan.back();
    // A chunk still out (a write left queued) refers to the buffer: the next read needs another.
    if (loan.held > 0 && this.next === loan.buffer) this.next = this.takeSpare();
  }

  /** Every chunk of a lent buffer was given back. */
  returned(buffer: Buffer): void {
    if (buffer === this.next || this.next === undefined) return;
    this.spare ??= buffer;
  }

  private takeSpare(): Buffer {
    const spare = this.spare;
    this.spare = undefined;
    return spare ?? Buffer.allocUnsafeSlow(readBufferSize);
  }
}
