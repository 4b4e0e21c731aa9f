/**
 * A server-sent events parser (the WHATWG event-stream format) for a stream read from elsewhere: fed
 * chunks as they arrive, it answers the complete events. Bounded: a line longer than `maxLine` (an api
 * gone wrong, or not an event stream at all) throws, and the caller drops the connection.
 */
export interface SseEvent {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private dataBytes = 0;

  constructor(private readonly maxLine = 16 * 1024 * 1024) {}

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf("\n", start);
      const cr = this.buffer.indexOf("\r", start);
      let end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      // A CR at the end of a chunk may be half of a CRLF: wait for the next byte.
      if (end === cr && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, end);
      if (end === cr && this.buffer[end + 1] === "\n") end++;
      start = end + 1;
      this.line(line, out);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLine) throw new Error("event stream line too long");
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) out.push({ event: this.event || "message", data: this.data.join("\n") });
      this.event = "";
      this.data = [];
      this.dataBytes = 0;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") {
      this.dataBytes += value.length;
      if (this.dataBytes > this.maxLine) throw new Error("event stream event too long");
      this.data.push(value);
    }
  }
}
