import { dimensionsKey, type MetricDimension, type Sample, type StatisticSet } from "@scaleout/core";
import { and, eq, gte, lt, sql } from "drizzle-orm";
import { type Db, type Tx, writeTransaction } from "./client.ts";
import { datapoints, metrics } from "./schema.ts";

/**
 * The metric store: per-second statistic sets keyed by metric identity (namespace, name, dimensions).
 * The api (PutMetricData), the worker (CPU) and the proxy (ALB metrics) all write through here.
 */

/**
 * The two statements a sample needs, prepared once per database handle: built through drizzle's query
 * builder on every call they cost the proxy's once-a-second flush (about 20 samples, 40 statements) more
 * CPU and garbage than the statements themselves (a quarter of the proxy's allocations at a few thousand
 * new connections a second, bench/proxy with a sampling heap profile).
 */
function prepareStatements(db: Db) {
  const metric = db
    .insert(metrics)
    .values({
      namespace: sql.placeholder("namespace"),
      metricName: sql.placeholder("metricName"),
      dimensionsKey: sql.placeholder("dimensionsKey"),
      dimensions: sql.placeholder("dimensions"),
      unit: sql.placeholder("unit"),
      lastTimestamp: sql.placeholder("timestamp"),
    })
    .onConflictDoUpdate({
      target: [metrics.namespace, metrics.metricName, metrics.dimensionsKey],
      set: { lastTimestamp: sql`max(${metrics.lastTimestamp}, excluded.last_timestamp)` },
    })
    .returning({ id: metrics.id })
    .prepare();
  const datapoint = db
    .insert(datapoints)
    .values({
      metricId: sql.placeholder("metricId"),
      timestamp: sql.placeholder("timestamp"),
      sampleCount: sql.placeholder("sampleCount"),
      sum: sql.placeholder("sum"),
      minimum: sql.placeholder("minimum"),
      maximum: sql.placeholder("maximum"),
    })
    .onConflictDoUpdate({
      target: [datapoints.metricId, datapoints.timestamp],
      set: {
        sampleCount: sql`${datapoints.sampleCount} + excluded.sample_count`,
        sum: sql`${datapoints.sum} + excluded.sum`,
        minimum: sql`min(${datapoints.minimum}, excluded.minimum)`,
        maximum: sql`max(${datapoints.maximum}, excluded.maximum)`,
      },
    })
    .prepare();
  return { metric, datapoint };
}

const prepared = new WeakMap<Db, ReturnType<typeof prepareStatements>>();

function statementsOf(db: Db): ReturnType<typeof prepareStatements> {
  let statements = prepared.get(db);
  if (!statements) {
    statements = prepareStatements(db);
    prepared.set(db, statements);
  }
  return statements;
}

/** Merges samples into their seconds, in one transaction. */
export function recordSamples(db: Db, samples: Sample[]): void {
  if (samples.length === 0) return;
  const { metric, datapoint } = statementsOf(db);
  // The statements run on the transaction's connection: a better-sqlite3 database is one connection.
  writeTransaction(db, () => {
    for (const sample of samples) {
      const row = metric.get({
        namespace: sample.namespace,
        metricName: sample.metricName,
        dimensionsKey: dimensionsKey(sample.dimensions),
        dimensions: sample.dimensions,
        unit: sample.unit ?? null,
        timestamp: sample.timestamp,
      });
      if (!row) throw new Error(`metric ${sample.namespace}/${sample.metricName} was not written`);
      datapoint.run({
        metricId: row.id,
        timestamp: sample.timestamp,
        sampleCount: sample.sampleCount,
        sum: sample.sum,
        minimum: sample.minimum,
        maximum: sample.maximum,
      });
    }
  });
}

export interface PeriodSet extends StatisticSet {
  /** Unix seconds at the start of the period. */
  timestamp: number;
}

/**
 * Aggregates one metric's seconds into periods aligned to `startTime`, over [startTime, endTime).
 * Periods with no data are absent, as in GetMetricStatistics.
 */
export function aggregatePeriods(
  db: Db | Tx,
  identity: { namespace: string; metricName: string; dimensions: MetricDimension[] },
  startTime: number,
  endTime: number,
  period: number,
): PeriodSet[] {
  const metric = db
    .select({ id: metrics.id })
    .from(metrics)
    .where(
      and(
        eq(metrics.namespace, identity.namespace),
        eq(metrics.metricName, identity.metricName),
        eq(metrics.dimensionsKey, dimensionsKey(identity.dimensions)),
      ),
    )
    .get();
  if (!metric) return [];
  // better-sqlite3 binds JS numbers as REAL, and a REAL division would make every second its own bucket.
  const bucket = sql<number>`cast((${datapoints.timestamp} - ${startTime}) / ${period} as integer)`;
  return db
    .select({
      timestamp: sql<number>`${startTime} + ${bucket} * ${period}`,
      sampleCount: sql<number>`sum(${datapoints.sampleCount})`,
      sum: sql<number>`sum(${datapoints.sum})`,
      minimum: sql<number>`min(${datapoints.minimum})`,
      maximum: sql<number>`max(${datapoints.maximum})`,
    })
    .from(datapoints)
    .where(
      and(
        eq(datapoints.metricId, metric.id),
        gte(datapoints.timestamp, startTime),
        lt(datapoints.timestamp, endTime),
      ),
    )
    .groupBy(bucket)
    .orderBy(bucket)
    .all();
}

/** Drops datapoints older than `before` (Unix seconds); answers how many went. */
export function pruneDatapoints(db: Db, before: number): number {
  return db.delete(datapoints).where(lt(datapoints.timestamp, before)).run().changes;
}
