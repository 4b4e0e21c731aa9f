import type { Redis } from "ioredis";

/**
 * One metric family as prom-client's `registry.getMetricsAsJSON()` gives it and its
 * `AggregatorRegistry.aggregate` takes it (`type` is "counter", "gauge", "histogram"; prom-client's
 * own typing says a numeric enum, hence the union). A histogram's values name their series
 * (`x_bucket` with `le`, `x_sum`, `x_count`).
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: string | number;
  aggregator: string;
  values: Array<{ value: number; labels: Partial<Record<string, string | number>>; metricName?: string }>;
}

/** One process's registry: its metric families. */
export type MetricSnapshot = MetricFamily[];

/**
 * How processes other than the api hand their Prometheus figures to `GET /metrics`: each writes its
 * registry's snapshot to a key of its own that expires unless it is written again, and records the key
 * with its expiry in one sorted set, so the api reads every live snapshot with two commands and no
 * scan. A process that dies stops counting after the TTL; one that restarts writes again within its
 * interval, its counters starting from zero as Prometheus expects of a restarted process.
 */
const indexKey = (prefix: string) => `${prefix}:prometheus`;
const snapshotKey = (prefix: string, process: string) => `${prefix}:prometheus:${process}`;

export async function publishMetricSnapshot(
  redis: Redis,
  prefix: string,
  process: string,
  snapshot: MetricSnapshot,
  ttlSeconds: number,
  now = Date.now(),
): Promise<void> {
  await redis
    .multi()
    .set(snapshotKey(prefix, process), JSON.stringify(snapshot), "EX", ttlSeconds)
    .zadd(indexKey(prefix), now + ttlSeconds * 1000, process)
    .zremrangebyscore(indexKey(prefix), "-inf", now)
    .exec();
}

/** Every snapshot not yet expired, by process name. A value that is not a snapshot is left out. */
export async function readMetricSnapshots(
  redis: Redis,
  prefix: string,
  now = Date.now(),
): Promise<Map<string, MetricSnapshot>> {
  const processes = await redis.zrangebyscore(indexKey(prefix), now, "+inf");
  const snapshots = new Map<string, MetricSnapshot>();
  if (processes.length === 0) return snapshots;
  const values = await redis.mget(processes.map((name) => snapshotKey(prefix, name)));
  processes.forEach((name, i) => {
    const value = values[i];
    if (!value) return;
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) snapshots.set(name, parsed as MetricSnapshot);
    } catch {
      // A torn or foreign value: that process is missing from this scrape, not the whole scrape.
    }
  });
  return snapshots;
}

/**
 * Publishes `snapshot()` every `intervalMs` until stopped (first at once). Failures (Redis down) are
 * skipped: the key expires and the api shows the process as absent until Redis returns.
 */
export function publishMetricSnapshots(options: {
  redis: Redis;
  prefix: string;
  process: string;
  snapshot: () => Promise<MetricSnapshot>;
  intervalMs?: number;
}): { stop(): void } {
  const intervalMs = options.intervalMs ?? 5000;
  const ttlSeconds = Math.max(3, Math.ceil((intervalMs * 3) / 1000));
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await publishMetricSnapshot(
        options.redis,
        options.prefix,
        options.process,
        await options.snapshot(),
        ttlSeconds,
      );
    } catch {
      // Redis unavailable: the next tick tries again.
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
