import { type Db, type RegistryData, readRegistryData } from "@scaleout/db";

/**
 * Where the proxy's registry rows come from: the SQLite file beside the api (the local proxy of
 * `npm start`), or the api over HTTP (remote/api-source.ts, a proxy on another host). Either may fail
 * (SQLite locked, the api down or broken): the proxy then keeps serving its last snapshot.
 */
export interface SnapshotSource {
  /** The rows now, or `unchanged` when they are still those of `version`. Throws when it cannot read. */
  read(version: number): Promise<RegistryData | "unchanged">;
}

/** The local registry: read in one transaction, every time (a read is cheaper than a version check and a read). */
export function sqliteSource(db: Db): SnapshotSource {
  return { read: async () => readRegistryData(db) };
}
