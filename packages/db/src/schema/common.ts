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
