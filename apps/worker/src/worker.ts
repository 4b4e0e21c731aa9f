import { join } from "node:path";
import { type ComputeDriver, createDriver, createPortAllocator } from "@scaleout/compute";
import type { Settings } from "@scaleout/config";
import { createDb, readInstallationId, runMigrations } from "@scaleout/db";
import {
  closeQueues,
  createQueues,
  createRedis,
  createRedisEvents,
  type JobPayloads,
  QueueName,
  type Queues,
} from "@scaleout/queue";
import {
  createContext,
  createServices,
  instanceMetadataSource,
  instanceRegistry,
  type Services,
} from "@scaleout/services";
import { type Processor, Worker, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import { loggingActivityEnds } from "./activity-log.ts";
import { defaultTiming, type WorkerContext, type WorkerTiming } from "./context.ts";
import { createLogger, type Logger } from "./log.ts";
import { createInstanceMetadata, type InstanceMetadata } from "./metadata/instance-metadata.ts";
import { cfnStacksProcessor } from "./processors/cfn-stacks.ts";
import { createMetricsCollector } from "./processors/collect-metrics.ts";
import { createAlarmEvaluator } from "./processors/evaluate-alarms.ts";
import { executePolicyProcessor } from "./processors/execute-policy.ts";
import { createReconciler, reconcileProcessor } from "./processors/reconcile-group.ts";
import { runScheduledActionsProcessor } from "./processors/run-scheduled-actions.ts";
import { WorkerPrometheus } from "./prometheus.ts";
import { armSchedules } from "./schedules.ts";

export interface StartWorkerOptions {
  /** Data directory, registry file, Redis URL and prefix, partition, limits, fast mode, compute kind. */
  settings: Settings;
  /**
   * The compute driver. Default: `createDriver(settings.compute, { stateDir: <dataDir>/instances })`.
   * A driver passed in stays the caller's: `close()` leaves it open.
   */
  driver?: ComputeDriver;
  /** Overrides of the fast-mode or AWS-like defaults (see WorkerTiming). */
  timing?: Partial<WorkerTiming>;
  log?: Logger;
  /** Reconcile passes that may run at once (each for a different group). Default 4. */
  reconcileConcurrency?: number;
}

export interface RunningWorker {
  services: Services;
  driver: ComputeDriver;
  queues: Queues;
  timing: WorkerTiming;
  /** The instances' metadata services (IMDS). */
  metadata: InstanceMetadata;
  /**
   * Stops taking jobs and lets the active ones finish, then closes the queues, the Redis connections,
   * the driver (when the worker created it) and the registry. Instances keep running: the next worker
   * adopts them.
   */
  close(): Promise<void>;
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * Starts the worker: the registry, Redis, the compute driver, a BullMQ Worker per queue, and the job
 * schedulers for metric collection, alarm evaluation and the periodic full resync. Tests call it in
 * process with a temporary data directory, a queue prefix of their own and the driver they want.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { settings } = options;
  if (!settings.redisUrl)
    throw new Error("REDIS_URL is required (npm start provides a private Redis when unset)");
  const log = options.log ?? createLogger();
  const timing: WorkerTiming = { ...defaultTiming(settings.fast), ...options.timing };
  const prefix = settings.redisPrefix;

  const handle = createDb(settings.databaseFile);
  const closers: Array<() => Promise<void> | void> = [() => handle.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        log.warn("error while closing", { error });
      }
    }
  };

  try {
    runMigrations(handle.db);
    const ownDriver = options.driver === undefined;
    // The driver allocates instance ports; it must avoid every port the registry knows (listeners not
    // bound yet, metadata ports), which it can ask once the services exist.
    let registryPorts: () => Iterable<number> = () => [];
    const driver =
      options.driver ??
      (await createDriver(settings.compute, {
        stateDir: join(settings.dataDir, "instances"),
        graceSeconds: timing.terminateGraceSeconds,
        installationId: readInstallationId(handle.db),
        ports: createPortAllocator({ reserved: () => registryPorts() }),
      }));
    if (ownDriver) closers.push(() => driver.close());

    // Producers fail fast while Redis is down (an enqueue is never worth hanging a job for: the resync
    // repeats it); the workers' connection retries forever, as bullmq's production guide asks.
    const producer = createRedis(settings.redisUrl, "producer");
    producer.on("error", (error) => log.debug("redis (producer)", { error }));
    closers.push(() => quit(producer));
    const consumer = createRedis(settings.redisUrl, "worker");
    consumer.on("error", (error) => log.debug("redis (worker)", { error }));
    closers.push(() => quit(consumer));

    const queues = createQueues(producer, {
      prefix,
      onError: (error) => log.warn("queue error", { error }),
    });
    closers.push(() => closeQueues(queues));
    // The producer does not queue commands while disconnected: be connected before anything announces.
    await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));

    const events = loggingActivityEnds(
      createRedisEvents(producer, queues, prefix, (error, message) => log.warn(message, { error }), {
        account: settings.partition.accountId,
        region: settings.partition.region,
      }),
      log,
    );
    const services = createServices(
      createContext(handle.db, { partition: settings.partition, limits: settings.limits, events }),
    );
    const metadata = createInstanceMetadata({
      source: instanceMetadataSource(services.ctx),
      settings,
      log,
    });
    closers.push(() => metadata.close());
    // Instances that outlived the previous worker are served again before any job runs.
    await metadata.sync();
    const registry = instanceRegistry(services.ctx);
    registryPorts = () => registry.portsInUse();
    const ctx: WorkerContext = {
      db: handle.db,
      services,
      registry,
      driver,
      queues,
      timing,
      log,
      metadata,
    };

    const workerOptions = (concurrency: number): WorkerOptions => ({
      connection: consumer,
      prefix,
      concurrency,
      lockDuration: timing.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(timing.lockDurationMs / 2)),
    });
    const workers: Worker[] = [];
    const prometheus = new WorkerPrometheus();
    const startOne = <K extends QueueName>(
      name: K,
      processor: Processor<JobPayloads[K]>,
      concurrency: number,
    ) => {
      const worker = new Worker<JobPayloads[K]>(name, processor, workerOptions(concurrency));
      worker.on("error", (error) => log.warn("worker error", { queue: name, error }));
      worker.on("failed", (job, error) =>
        log.warn("job failed", { queue: name, job: job?.name, id: job?.id, error }),
      );
      prometheus.watch(name, worker);
      workers.push(worker);
    };
    // Workers close before the queues and connections they use (closers run in reverse).
    closers.push(async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    });

    const reconciler = createReconciler(ctx);
    const collect = createMetricsCollector(ctx);
    const evaluate = createAlarmEvaluator(ctx);
    startOne(
      QueueName.reconcileGroup,
      reconcileProcessor(ctx, reconciler),
      options.reconcileConcurrency ?? 4,
    );
    // One at a time: a second collection or evaluation overlapping the first would only repeat it.
    startOne(QueueName.collectMetrics, () => collect(), 1);
    startOne(QueueName.evaluateAlarms, () => evaluate(), 1);
    startOne(QueueName.executePolicy, executePolicyProcessor(ctx), 1);
    startOne(QueueName.runScheduledActions, runScheduledActionsProcessor(ctx), 1);
    // Stack operations run long (a group waits for its instances): several at once, beside the finder.
    startOne(QueueName.cfnStacks, cfnStacksProcessor(ctx), 8);

    await armSchedules(queues, timing, "worker started");
    // Fast mode (tests, demos) publishes every second so a scrape sees a job soon after it ran.
    const publishing = prometheus.publish(producer, prefix, settings.fast ? 1000 : 5000);
    closers.push(() => publishing.stop());
    // Each reconnect after the first: Redis may have restarted empty, and changes committed meanwhile
    // could not enqueue their reconcile (armSchedules says why this is enough).
    let rearming: Promise<void> | undefined;
    let stopped = false;
    producer.on("ready", () => {
      if (stopped || rearming) return;
      rearming = armSchedules(queues, timing, "redis reconnected")
        .then(() => log.info("redis reconnected: schedules re-armed and a resync asked for"))
        .catch((error: unknown) => log.warn("could not re-arm schedules after a reconnect", { error }))
        .finally(() => {
          rearming = undefined;
        });
    });
    closers.push(async () => {
      stopped = true;
      await rearming;
    });
    log.info("worker started", {
      driver: driver.name,
      prefix,
      fast: settings.fast,
      resyncMs: timing.resyncMs,
    });

    let closing: Promise<void> | undefined;
    return {
      services,
      driver,
      queues,
      timing,
      metadata,
      close() {
        closing ??= closeAll().then(() => log.info("worker stopped"));
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
