export * from "./connection.ts";
export * from "./event-follower.ts";
export * from "./events.ts";
export * from "./health.ts";
export * from "./metric-snapshots.ts";
export * from "./names.ts";
export * from "./redis.ts";
export * from "./redis-server.ts";
