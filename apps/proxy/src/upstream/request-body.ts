import type { Readable } from "node:stream";

/**
 * A client's request body, read ahead of any connection to a target: an upstream connection is taken
 * only once the body has fully arrived or `bodyBufferBytes` of it are here (nginx buffers
 * client_body_buffer_size the same way before it streams). A client that dribbles its body therefore
 * holds no pooled connection while it does, and a few hundred of them cannot starve a target group.
 */
export const bodyBufferBytes = 64 * 1024;

/** One per client request (a retry on another target finds the bytes already read). */
const bodies = new WeakMap<Readable, RequestBody>();

export class RequestBody {
  /** The bytes read before a connection was assigned; kept so a retry can send them again. */
  readonly chunks: Buffer[] = [];
  bytes = 0;
  /** The client's body has ended and every byte of it is in `chunks`. */
  ended = false;
  /** Bytes beyond `chunks` went to a target straight from the client: the body cannot be replayed. */
  streamed = false;
  private cancelFill: (() => void) | undefined;

  private constructor(readonly stream: Readable) {}

  static of(stream: Readable): RequestBody {
    let body = bodies.get(stream);
    if (!body) {
      body = new RequestBody(stream);
      bodies.set(stream, body);
    }
    return body;
  }

  /** Another exchange can send this body from its first byte. */
  get replayable(): boolean {
    return !this.streamed;
  }

  /** Reads until the body ends or the buffer is full, then calls `ready` once (now, if it already is). */
  fill(ready: () => void): void {
    if (this.ended || this.bytes >= bodyBufferBytes || this.stream.readableEnded) {
      ready();
      return;
    }
    const stream = this.stream;
    const onData = (data: Buffer) => {
      this.chunks.push(data);
      this.bytes += data.length;
      if (this.bytes >= bodyBufferBytes) {
        // The rest stays in the client's socket (TCP backpressure) until a connection streams it.
        stream.pause();
        done();
      }
    };
    const onEnd = () => {
      this.ended = true;
      done();
    };
    const detach = () => {
      this.cancelFill = undefined;
      stream.off("data", onData);
      stream.off("end", onEnd);
    };
    const done = () => {
      detach();
      ready();
    };
    this.cancelFill = detach;
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.resume();
  }

  /** Stops reading ahead (the request was abandoned before it got a connection). */
  cancel(): void {
    this.cancelFill?.();
  }
}
