import type { Db, Tx } from "@scaleout/db";

const cache = new WeakMap<Db, Map<string, unknown>>();

/**
 * A drizzle prepared query, built once per database. The describe and list paths run on every poll of a
 * client or dashboard, and building the SQL plus SQLite's prepare cost more than running the query. Inside
 * a transaction the query is built afresh, as any other query there.
 */
export function prepared<T>(db: Db | Tx, key: string, build: (db: Db | Tx) => T): T {
  if ("rollback" in db) return build(db);
  let statements = cache.get(db);
  if (!statements) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(key) as T | undefined;
  if (statement === undefined) {
    statement = build(db);
    statements.set(key, statement);
  }
  return statement;
}
