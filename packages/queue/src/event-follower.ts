import type { Redis } from "ioredis";
import { eventStreamKey } from "./names.ts";

/*
 * Follows the events stream (`<prefix>:events`, written by createRedisEvents) for every client of one
 * process: ONE blocking XREAD on a connection of its own, fanned out to the subscribers in memory, so a
 * hundred open `GET /v1/events` cost one Redis connection, not a hundred. A subscriber that resumes
 * (Last-Event-ID) reads what it missed with XRANGE on a second, non-blocking connection.
 */

/** One entry of the stream: its id (`<ms>-<seq>`) and the EventBridge-shaped event it carries. */
export interface StreamEvent {
  id: string;
  event: Record<string, unknown>;
}

export type EventListener = (entry: StreamEvent) => void;

export interface EventFollower {
  /** Live entries from now on, until the returned function is called. */
  subscribe(listener: EventListener): () => void;
  /**
   * Resolves once the follower knows where it reads from: every entry written after that reaches the
   * subscribers, so a subscriber that reads `since` its start after this misses nothing.
   */
  ready(): Promise<void>;
  /** Entries after `id` (exclusive) that are still in the stream, oldest first, at most `count`. */
  since(id: string, count: number): Promise<StreamEvent[]>;
  /** Stops following; blocked reads end at once. */
  close(): void;
}

/** A stream id as Redis writes it: `<ms>-<seq>`. */
export const isStreamId = (id: string): boolean => /^\d{1,20}-\d{1,20}$/.test(id);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Redis answers entries as [id, [field, value, ...]]; a value that is not our JSON is skipped. */
function parseEntries(raw: unknown): StreamEvent[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEvent[] = [];
  for (const entry of raw) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || !Array.isArray(entry[1])) continue;
    const fields: unknown[] = entry[1];
    const at = fields.indexOf("event");
    const value = fields[at + 1];
    if (at < 0 || typeof value !== "string") continue;
    try {
      const event: unknown = JSON.parse(value);
      if (isRecord(event)) out.push({ id: entry[0], event });
    } catch {
      // Not written by createRedisEvents: not an event.
    }
  }
  return out;
}

/**
 * `reader` blocks in XREAD and must be this follower's alone (its `maxRetriesPerRequest: null`);
 * `queries` answers XRANGE and may be shared. Reading starts with the first subscriber.
 */
export function createEventFollower(
  reader: Redis,
  queries: Redis,
  prefix: string,
  options: { blockMs?: number; onError?: (error: unknown) => void } = {},
): EventFollower {
  const key = eventStreamKey(prefix);
  const blockMs = options.blockMs ?? 5_000;
  const listeners = new Set<EventListener>();
  let started = false;
  let closed = false;
  let positioned: () => void = () => {};
  const position = new Promise<void>((resolve) => {
    positioned = resolve;
  });

  async function follow(): Promise<void> {
    // From the newest entry at the start: earlier ones are what `since` is for.
    let last = "$";
    while (!closed) {
      try {
        if (last === "$") {
          const newest = (await reader.xrevrange(key, "+", "-", "COUNT", 1)) as unknown;
          last = parseEntries(newest)[0]?.id ?? "0-0";
          positioned();
        }
        const answer = (await reader.xread("BLOCK", blockMs, "STREAMS", key, last)) as unknown;
        if (!Array.isArray(answer)) continue;
        for (const stream of answer) {
          if (!Array.isArray(stream)) continue;
          for (const entry of parseEntries(stream[1])) {
            last = entry.id;
            for (const listener of listeners) listener(entry);
          }
        }
      } catch (error) {
        if (closed) {
          positioned();
          return;
        }
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!started) {
        started = true;
        // follow() catches its own errors: it ends only when the follower is closed.
        void follow();
      }
      return () => listeners.delete(listener);
    },
    ready() {
      return position;
    },
    async since(id, count) {
      return parseEntries(await queries.xrange(key, `(${id}`, "+", "COUNT", count));
    },
    close() {
      closed = true;
      positioned();
      listeners.clear();
      reader.disconnect();
    },
  };
}
