import { eq, sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";
import { configVersion } from "./schema.ts";

/** Increments the configuration version inside the caller's transaction and answers the new value. */
export function bumpConfigVersion(tx: Tx | Db): number {
  const row = tx
    .insert(configVersion)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({ target: configVersion.id, set: { version: sql`${configVersion.version} + 1` } })
    .returning({ version: configVersion.version })
    .get();
  return row.version;
}

export function readConfigVersion(db: Db | Tx): number {
  return (
    db.select({ version: configVersion.version }).from(configVersion).where(eq(configVersion.id, 1)).get()
      ?.version ?? 0
  );
}
