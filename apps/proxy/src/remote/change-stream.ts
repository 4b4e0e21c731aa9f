import { SseParser } from "@scaleout/core";
import type { HealthEntry } from "../worker-messages.ts";
import type { ApiClient } from "./api-client.ts";

export interface ChangeHandlers {
  /** (Re)connected: the version and every target's health now. */
  hello(version: number, health: HealthEntry[]): void;
  version(version: number): void;
  /** The registry's rows, pushed (small registries): not yet checked, the caller checks. */
  snapshot(data: unknown): void;
  health(seq: number, entries: HealthEntry[]): void;
}

export interface ChangeStreamOptions {
  /** This proxy's id: the api waits for every following proxy before it records a target drained. */
  proxy?: string;
  /** No byte (the api sends a comment every 5 s) for this long: the stream is dead, reconnect. */
  idleMs?: number;
  /** The wait before a reconnection doubles from `retryMs` up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  log: Pick<Console, "info" | "warn">;
}

const isHealthEntry = (value: unknown): value is HealthEntry =>
  Array.isArray(value) &&
  value.length === 6 &&
  typeof value[0] === "string" &&
  typeof value[1] === "string" &&
  typeof value[2] === "string" &&
  (value[3] === null || typeof value[3] === "string") &&
  (value[4] === null || typeof value[4] === "string") &&
  Number.isFinite(value[5]);

const healthOf = (value: unknown): HealthEntry[] | undefined =>
  Array.isArray(value) && value.every(isHealthEntry) ? value : undefined;

const versionOf = (value: unknown): number | undefined =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;

/**
 * Follows GET /v1/proxy/changes for as long as it runs: reconnects with a growing wait when the api is
 * down, answers wrongly or falls silent, and hands each well-formed event to its handler (anything
 * else is skipped: the api is outside input here).
 */
export function followChanges(
  client: ApiClient,
  handlers: ChangeHandlers,
  options: ChangeStreamOptions,
): { close(): void } {
  let closed = false;
  let controller: AbortController | undefined;
  let wait = options.retryMs ?? 100;
  let warned = false;

  const dispatch = (event: string, data: string) => {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const fields = value as Record<string, unknown>;
    if (event === "hello") {
      const version = versionOf(fields.version);
      const health = healthOf(fields.health);
      if (version !== undefined && health) handlers.hello(version, health);
    } else if (event === "version") {
      const version = versionOf(fields.version);
      if (version !== undefined) handlers.version(version);
    } else if (event === "snapshot") {
      handlers.snapshot(value);
    } else if (event === "health") {
      const seq = versionOf(fields.seq);
      const health = healthOf(fields.entries);
      if (seq !== undefined && health) handlers.health(seq, health);
    }
  };

  const once = async () => {
    controller = new AbortController();
    const abort = controller;
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Error("no data from the api")), options.idleMs ?? 15_000);
      idle.unref();
    };
    touch();
    try {
      const url = client.url("v1/proxy/changes");
      if (options.proxy !== undefined) url.searchParams.set("proxy", options.proxy);
      const response = await fetch(url, {
        headers: client.headers({ accept: "text/event-stream" }),
        signal: abort.signal,
        redirect: "error",
      });
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel();
        throw new Error(`GET /v1/proxy/changes answered ${response.status}`);
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      let first = true;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          if (first && event.event === "hello") {
            first = false;
            wait = options.retryMs ?? 100;
            if (warned) options.log.info("the api's change stream is back");
            warned = false;
          }
          dispatch(event.event, event.data);
        }
      }
      throw new Error("the api closed the change stream");
    } finally {
      clearTimeout(idle);
    }
  };

  const loop = async () => {
    while (!closed) {
      try {
        await once();
      } catch (error) {
        if (closed) return;
        if (!warned)
          options.log.warn(
            `the api's change stream is unavailable (${error instanceof Error ? error.message : String(error)}); serving the last configuration and retrying`,
          );
        warned = true;
      }
      if (closed) return;
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
      wait = Math.min(wait * 2, options.maxRetryMs ?? 2000);
    }
  };
  void loop();
  return {
    close() {
      closed = true;
      controller?.abort();
    },
  };
}
