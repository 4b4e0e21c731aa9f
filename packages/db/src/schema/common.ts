import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/* The version every change bumps, and tags of every resource. */

/** One row: the version every committed configuration change increments. */
export const configVersion = sqliteTable("config_version", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
});

export const tags = sqliteTable(
  "tags",
  {
    resourceArn: text("resource_arn").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceArn, t.key] })],
);

/**
 * One row: this installation's id, generated once. Labels carry it on every instance a driver starts,
 * so two scaleouts sharing a Docker engine or a swarm adopt and reap only their own.
 */
export const installation = sqliteTable("installation", {
  id: integer("id").primaryKey(),
  installationId: text("installation_id").notNull(),
  createdAt: integer("created_at").notNull(),
});
