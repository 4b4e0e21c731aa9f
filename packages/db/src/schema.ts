/**
 * The registry. Times are Unix milliseconds unless a column says seconds. Documents that AWS treats as
 * one value (actions, conditions, attributes) are JSON; everything the registry must enforce (names,
 * ports, priorities, what uses a target group) is a column with a constraint, so a race between two
 * api processes ends in a constraint error, never in corrupt state.
 */

export * from "./schema/auto-scaling.ts";
export * from "./schema/cloudformation.ts";
export * from "./schema/cloudwatch.ts";
export * from "./schema/common.ts";
export * from "./schema/elb.ts";
export * from "./schema/lifecycle.ts";
export * from "./schema/waf.ts";
