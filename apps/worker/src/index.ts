export { defaultTiming, type WorkerTiming } from "./context.ts";
export { createLogger, type Logger, type LogLevel } from "./log.ts";
export { type RunningWorker, type StartWorkerOptions, startWorker } from "./worker.ts";
