export * from "./cidr-matcher.ts";
export * from "./evaluate.ts";
export * from "./ip-numbers.ts";
export * from "./rate-limiter.ts";
export * from "./regex-guard.ts";
export * from "./request-view.ts";
export { compileTransformations, supportedTransformations } from "./transform.ts";
export * from "./web-acl.ts";
