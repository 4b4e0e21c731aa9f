// The shapes of the resources, declared once for both doors (see wire.ts for the AWS door's part).
export * from "./activities.ts";
export * from "./alarms.ts";
export * from "./common.ts";
export * from "./ec2-instances.ts";
export * from "./groups.ts";
export * from "./instance-moves.ts";
export * from "./instance-refreshes.ts";
export * from "./launch-templates.ts";
export * from "./lifecycle-hooks.ts";
export * from "./policies.ts";
export * from "./scheduled-actions.ts";
export * from "./warm-pool-configuration.ts";
export * from "./warm-pools.ts";
export * from "./wire.ts";
