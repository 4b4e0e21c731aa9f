/*
 * The console's live updates, one hub per api process. Browsers do not poll: each page holds one
 * server-sent events stream naming its view, and the hub sends the view's data again whenever it changed.
 * It looks again when the registry announces a configuration change (Redis pub/sub), when an event
 * arrives on the events stream, and once a tick for what no announcement covers (target health and
 * metrics, written by the proxy and the worker to SQLite every second). Each view is built once per look,
 * however many pages show it, and sent only to pages whose copy differs.
 */

export interface Watcher {
  send(event: "view" | "problem", json: string): void;
}

export interface ConsoleLive {
  /** Starts sending `view`'s data to `watcher`; returns the function that stops it. */
  watch(view: string, watcher: Watcher): () => void;
  /** Something changed: look again soon (coalesced). */
  poke(): void;
  readonly watchers: number;
  close(): void;
}

export interface LiveOptions {
  /** Builds a view's data as JSON; throws when the view names something that does not exist. */
  build(view: string): string;
  /** Runs every tick whether or not a page is open (the capacity history's sampling). */
  onTick?(): void;
  tickMs: number;
  /** Coalesces a burst of announcements into one look. */
  settleMs?: number;
  warn(error: unknown, message: string): void;
}

interface Watch {
  view: string;
  watcher: Watcher;
  last?: string;
}

export function createConsoleLive(options: LiveOptions): ConsoleLive {
  const watches = new Set<Watch>();
  let pending: NodeJS.Timeout | undefined;
  let closed = false;

  const buildAll = (only?: Watch) => {
    const built = new Map<string, { event: "view" | "problem"; json: string }>();
    for (const watch of only ? [only] : watches) {
      let result = built.get(watch.view);
      if (!result) {
        try {
          result = { event: "view", json: options.build(watch.view) };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          result = { event: "problem", json: JSON.stringify({ message }) };
        }
        built.set(watch.view, result);
      }
      if (watch.last === result.json) continue;
      watch.last = result.json;
      watch.watcher.send(result.event, result.json);
    }
  };

  const look = () => {
    pending = undefined;
    if (closed) return;
    try {
      options.onTick?.();
    } catch (error) {
      options.warn(error, "console: could not sample the groups");
    }
    if (watches.size > 0) buildAll();
  };

  const ticker = setInterval(look, options.tickMs);
  ticker.unref();

  return {
    watch(view, watcher) {
      const watch: Watch = { view, watcher };
      watches.add(watch);
      buildAll(watch);
      return () => watches.delete(watch);
    },
    poke() {
      if (closed || pending) return;
      pending = setTimeout(look, options.settleMs ?? 100);
      pending.unref();
    },
    get watchers() {
      return watches.size;
    },
    close() {
      closed = true;
      clearInterval(ticker);
      if (pending) clearTimeout(pending);
      watches.clear();
    },
  };
}
