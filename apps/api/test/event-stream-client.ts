// GET /v1/events read with a plain HTTP client (node:http), as a user's test would read it.
import http from "node:http";

/** GET /v1/events with a plain HTTP client: the parsed messages as they arrive. */
export interface EventStream {
  messages: Array<{ id: string; data: Record<string, unknown> }>;
  comments: string[];
  connected: Promise<void>;
  ended: Promise<void>;
  close(): void;
  /** Stops reading (the socket's buffers fill up, as with a slow client), and starts again. */
  pause(): void;
  resume(): void;
}

export function openEvents(
  endpoint: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${endpoint}/v1/events${query}`);
    const req = http.get(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET /v1/events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding("utf8");
        // A stream the server drops ends abruptly: that is its end, not a failure.
        res.on("error", () => {});
        let buffer = "";
        let onConnected: () => void = () => {};
        const stream: EventStream = {
          messages: [],
          comments: [],
          connected: new Promise((r) => {
            onConnected = r;
          }),
          ended: new Promise((r) => res.once("close", () => r())),
          close: () => req.destroy(),
          pause: () => res.pause(),
          resume: () => res.resume(),
        };
        res.on("data", (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id = "";
            let data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) {
                stream.comments.push(line.slice(1).trim());
                if (line === ": connected") onConnected();
              } else if (line.startsWith("id: ")) id = line.slice(4);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (data) stream.messages.push({ id, data: JSON.parse(data) as Record<string, unknown> });
          }
        });
        resolve(stream);
      },
    );
    req.on("error", reject);
  });
}
