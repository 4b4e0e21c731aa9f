import type Database from "better-sqlite3";

/**
 * Whether the registry takes writes now: rewrites the header's user_version with its own value, a real
 * write transaction (lock, journal, fsync) that changes nothing. Waits for another writer at most
 * `timeoutMs` (the connection's busy_timeout is 10 s; a health probe answering that late is no answer),
 * so a lock held longer counts as refusing writes. Synchronous, like every better-sqlite3 call: it blocks
 * the event loop for at most `timeoutMs`.
 */
export function registryWritable(sqlite: Database.Database, timeoutMs = 500): boolean {
  const busy = Number(sqlite.pragma("busy_timeout", { simple: true }));
  try {
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
    const version = Number(sqlite.pragma("user_version", { simple: true }));
    sqlite.pragma(`user_version = ${version}`);
    return true;
  } catch {
    return false;
  } finally {
    sqlite.pragma(`busy_timeout = ${busy}`);
  }
}
