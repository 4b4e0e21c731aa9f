/*
 * A strict, incremental decoder of chunked request bodies (RFC 9112 7.1): hex sizes with optional
 * extensions, CRLF after every line and chunk (a bare LF or CR is refused), trailer fields after the last
 * chunk (read and dropped, as the proxy drops them today), everything bounded.
 */

export type ChunkedResult =
  | { kind: "data"; data: Buffer }
  /** The body ended; `rest` is what followed it (a pipelined request). */
  | { kind: "done"; data: Buffer; rest: Buffer }
  | { kind: "invalid"; reason: string };

type State = "size" | "ext" | "sizeLf" | "data" | "dataCr" | "dataLf" | "trailer" | "trailerLf" | "done";

/** 13 hex digits: 2^52, beyond any body the proxy relays. */
const maxSizeDigits = 13;
/** Extensions and trailers together, per chunk line and for the trailer section. */
const maxLineBytes = 16 * 1024;

const hex = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) hex[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  hex[0x41 + c] = 10 + c;
  hex[0x61 + c] = 10 + c;
}

export class ChunkedDecoder {
  private state: State = "size";
  private size = 0;
  private digits = 0;
  private left = 0;
  private lineBytes = 0;
  /** In the trailer section: bytes of the current line (0 at a line's start: CRLF there ends it). */
  private trailerLine = 0;

  decode(input: Buffer): ChunkedResult {
    const pieces: Buffer[] = [];
    let i = 0;
    while (i < input.length) {
      if (this.state === "data") {
        const take = Math.min(this.left, input.length - i);
        pieces.push(input.subarray(i, i + take));
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = "dataCr";
        continue;
      }
      const c = input[i] ?? 0;
      i++;
      switch (this.state) {
        case "size": {
          const d = hex[c] ?? -1;
          if (d >= 0) {
            if (++this.digits > maxSizeDigits) return invalid("ChunkSizeTooLarge");
            this.size = this.size * 16 + d;
          } else if (this.digits === 0) return invalid("BadChunkSize");
          else if (c === 0x3b) this.state = "ext";
          else if (c === 0x0d) this.state = "sizeLf";
          else return invalid("BadChunkSize");
          break;
        }
        case "ext":
          // Extensions are ignored, but their bytes must not hide a line end or a control.
          if (c === 0x0d) this.state = "sizeLf";
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return invalid("BadChunkExtension");
          else if (++this.lineBytes > maxLineBytes) return invalid("ChunkExtensionTooLarge");
          break;
        case "sizeLf":
          if (c !== 0x0a) return invalid("BareCarriageReturn");
          this.lineBytes = 0;
          this.digits = 0;
          if (this.size === 0) {
            this.state = "trailer";
            this.trailerLine = 0;
          } else {
            this.left = this.size;
            this.size = 0;
            this.state = "data";
          }
          break;
        case "dataCr":
          if (c !== 0x0d) return invalid("MissingChunkEnd");
          this.state = "dataLf";
          break;
        case "dataLf":
          if (c !== 0x0a) return invalid("MissingChunkEnd");
          this.state = "size";
          break;
        case "trailer":
          if (c === 0x0d) this.state = "trailerLf";
          else if (c === 0x0a) return invalid("BareLineFeed");
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return invalid("BadTrailer");
          else {
            this.trailerLine++;
            if (++this.lineBytes > maxLineBytes) return invalid("TrailersTooLarge");
          }
          break;
        case "trailerLf":
          if (c !== 0x0a) return invalid("BareCarriageReturn");
          if (this.trailerLine === 0) {
            this.state = "done";
            return { kind: "done", data: join(pieces), rest: input.subarray(i) };
          }
          this.trailerLine = 0;
          this.state = "trailer";
          break;
        default:
          return invalid("AfterEnd");
      }
    }
    return { kind: "data", data: join(pieces) };
  }
}

function invalid(reason: string): ChunkedResult {
  return { kind: "invalid", reason };
}

function join(pieces: Buffer[]): Buffer {
  if (pieces.length === 1) return pieces[0] ?? Buffer.alloc(0);
  return pieces.length === 0 ? Buffer.alloc(0) : Buffer.concat(pieces);
}
