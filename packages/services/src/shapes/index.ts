// The shapes of the resources, declared once for both doors (see wire.ts for the AWS door's part).
export * from "./alarms.ts";
export * from "./common.ts";
export * from "./wire.ts";
