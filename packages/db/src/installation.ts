import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { installation } from "./schema.ts";

/**
 * This installation's id (12 hex characters), created on first read. Insert-or-ignore then read makes
 * two processes racing on a fresh database agree on one id.
 */
export function readInstallationId(db: Db, now: () => number = Date.now): string {
  const existing = db.select().from(installation).where(eq(installation.id, 1)).get();
  if (existing) return existing.installationId;
  db.insert(installation)
    .values({ id: 1, installationId: randomBytes(6).toString("hex"), createdAt: now() })
    .onConflictDoNothing()
    .run();
  const row = db.select().from(installation).where(eq(installation.id, 1)).get();
  if (!row) throw new Error("installation id could not be stored");
  return row.installationId;
}
