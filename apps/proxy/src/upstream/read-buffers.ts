import { ownReadAfter, readBufferSize } from "../own-reads.ts";

/**
 * The upstream connection's policy for its own read buffers (own-reads.ts says why the proxy reads into
 * buffers it owns): a read of `ownReadAfter` bytes or more into the shared buffer gives the connection
 * buffers of its own, each read into again only once every chunk relayed from it has been written out
 * (the sink gives it back: `ResponseSink.onResponseData`'s `done`), so a write left queued never sees its
 * bytes overwritten.
 */

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
