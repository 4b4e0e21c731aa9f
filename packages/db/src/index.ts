export * from "./client.ts";
export * from "./health.ts";
export * from "./installation.ts";
export * from "./metric-store.ts";
export * from "./migrate.ts";
export * from "./proxy-writes.ts";
export * from "./registry-data.ts";
export * as schema from "./schema.ts";
export * from "./version.ts";
