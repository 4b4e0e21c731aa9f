import { mkdirSync } from "node:fs";
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
 * Opens the registry. Several processes (api, worker, proxy, a second api) share the file: WAL lets
 * readers run beside the one writer, and `busy_timeout` makes a writer wait for the lock instead of
 * failing with SQLITE_BUSY.
 */
export function createDb(file: string, options: { readonly?: boolean } = {}): DbHandle {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file, { readonly: options.readonly ?? false });
  sqlite.pragma("busy_timeout = 10000");
  if (!options.readonly) sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  return { db, sqlite, close: () => sqlite.close() };
}
