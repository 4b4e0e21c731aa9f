export * from "./client.ts";
export * from "./health.ts";
export * from "./installation.ts";
export * from "./metric-store.ts";
export * from "./migrate.ts";
export * as schema from "./schema.ts";
export * from "./version.ts";
