// The Redis implementation of the services' ChangeEvents lives in @scaleout/queue (the worker uses it too).
export { createRedisEvents } from "@scaleout/queue";
