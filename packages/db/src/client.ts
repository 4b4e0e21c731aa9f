import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import * as schema from "./schema.ts";

export type Db = BetterSQLite3Database<typeof schema>;
/** What a synchronous drizzle transaction callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface DbHandle {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/**
 * The registry holds private keys (ACM's certificates): its directory is owner-only (0700) and so are the
 * database and its -wal and -shm files (0600). A directory scaleout did not make is tightened only when it
 * is ours and not a shared one (sticky, as /tmp): a registry file put in /tmp must not chmod /tmp.
 */
function ownerOnly(file: string): void {
  const directory = dirname(file);
  if (!existsSync(directory)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } else {
    const stat = statSync(directory);
    const sticky = (stat.mode & 0o1000) !== 0;
    if (!sticky && stat.uid === process.getuid?.() && (stat.mode & 0o077) !== 0) chmodSync(directory, 0o700);
  }
  // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
  if (!existsSync(file)) writeFileSync(file, "", { mode: 0o600, flag: "a" });
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    const stat = existsSync(path) ? statSync(path) : undefined;
    if (stat && stat.uid === process.getuid?.() && (stat.mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/**
 * Opens the registry. Several processes (api, worker, proxy, a second api) share the file: WAL lets
 * readers run beside the one writer, and `busy_timeout` makes a writer wait for the lock instead of
 * failing with SQLITE_BUSY.
 */
export function createDb(file: string, options: { readonly?: boolean } = {}): DbHandle {
  if (file !== ":memory:" && !options.readonly) ownerOnly(file);
  const sqlite = new Database(file, { readonly: options.readonly ?? false });
  sqlite.pragma("busy_timeout = 10000");
  if (!options.readonly) sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  return { db, sqlite, close: () => sqlite.close() };
}

/**
 * Runs `write` in a transaction that takes SQLite's write lock at its start (BEGIN IMMEDIATE), waiting up
 * to busy_timeout for it. Every transaction that may write uses this, never drizzle's default (deferred):
 * a deferred transaction that reads first takes the write lock only at its first write, and when another
 * connection has committed since its read began, SQLite answers SQLITE_BUSY at once, busy_timeout or not
 * (its snapshot is stale, so waiting could not help). Under load that failed an execute-policy job.
 */
export function writeTransaction<T>(db: Db, write: (tx: Tx) => T): T {
  return db.transaction(write, { behavior: "immediate" });
}

/**
 * Runs `read` in a deferred transaction: one consistent snapshot, no write lock, never blocking a writer.
 * For reads only: a write inside would be the upgrade `writeTransaction` exists to avoid.
 */
export function readTransaction<T>(db: Db, read: (tx: Tx) => T): T {
  return db.transaction(read, { behavior: "deferred" });
}
