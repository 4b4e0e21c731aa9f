import {
  check,
  checkPageSize,
  decodeToken,
  encodeToken,
  type MetricDatumInput,
  type MetricDimension,
  normalizeMetricData,
  normalizeStatisticsQuery,
  type Page,
  type Statistic,
  statisticOf,
} from "@scaleout/core";
import { aggregatePeriods, recordSamples, schema } from "@scaleout/db";
import { and, asc, eq, gt, gte } from "drizzle-orm";
import type { ServiceContext } from "./context.ts";

const { metrics } = schema;

export interface Metric {
  namespace: string;
  metricName: string;
  dimensions: MetricDimension[];
}

export interface Datapoint {
  timestamp: string;
  sampleCount?: number;
  average?: number;
  sum?: number;
  minimum?: number;
  maximum?: number;
  unit: string;
}

const statisticKey: Record<Statistic, keyof Omit<Datapoint, "timestamp" | "unit">> = {
  SampleCount: "sampleCount",
  Average: "average",
  Sum: "sum",
  Minimum: "minimum",
  Maximum: "maximum",
};

export function metricService(ctx: ServiceContext) {
  return {
    /** PutMetricData: merged into the per-second store. Not a configuration change. */
    put(namespace: string | undefined, metricData: MetricDatumInput[] | undefined): void {
      const samples = normalizeMetricData(namespace, metricData, Math.floor(ctx.now() / 1000));
      recordSamples(ctx.db, samples);
    },

    /** ListMetrics: filter by namespace, name and dimensions (a dimension without a value matches any value). */
    list(
      options: {
        namespace?: string;
        metricName?: string;
        dimensions?: Array<{ name: string; value?: string }>;
        recentlyActive?: string;
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<Metric> {
      const pageSize = checkPageSize(options.pageSize ?? 400);
      if (options.recentlyActive !== undefined)
        check(options.recentlyActive === "PT3H", "RecentlyActive must be PT3H");
      const after = decodeToken(options.nextToken);
      const filters = options.dimensions ?? [];
      check(filters.length <= 10, "At most 10 dimension filters can be given");
      const rows = ctx.db
        .select()
        .from(metrics)
        .where(
          and(
            options.namespace ? eq(metrics.namespace, options.namespace) : undefined,
            options.metricName ? eq(metrics.metricName, options.metricName) : undefined,
            options.recentlyActive
              ? gte(metrics.lastTimestamp, Math.floor(ctx.now() / 1000) - 3 * 3600)
              : undefined,
            after === undefined ? undefined : gt(metrics.id, Number(after)),
          ),
        )
        .orderBy(asc(metrics.id))
        .all()
        .filter((row) =>
          filters.every((f) =>
            row.dimensions.some((d) => d.name === f.name && (f.value === undefined || d.value === f.value)),
          ),
        );
      const page = rows.slice(0, pageSize);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({
          namespace: r.namespace,
          metricName: r.metricName,
          dimensions: r.dimensions,
        })),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(String(last.id)) }),
      };
    },

    /** GetMetricStatistics over the per-second store. */
    statistics(input: Parameters<typeof normalizeStatisticsQuery>[0]): {
      label: string;
      datapoints: Datapoint[];
    } {
      const query = normalizeStatisticsQuery(input, ctx.limits);
      const metric = ctx.db
        .select({ unit: metrics.unit })
        .from(metrics)
        .where(and(eq(metrics.namespace, query.namespace), eq(metrics.metricName, query.metricName)))
        .get();
      if (query.unit !== undefined && metric?.unit && metric.unit !== query.unit)
        return { label: query.metricName, datapoints: [] };
      const periods = aggregatePeriods(ctx.db, query, query.startTime, query.endTime, query.period);
      return {
        label: query.metricName,
        datapoints: periods.map((set) => {
          const point: Datapoint = {
            timestamp: new Date(set.timestamp * 1000).toISOString(),
            unit: metric?.unit ?? query.unit ?? "None",
          };
          for (const statistic of query.statistics)
            point[statisticKey[statistic]] = statisticOf(set, statistic);
          return point;
        }),
      };
    },
  };
}

export type MetricService = ReturnType<typeof metricService>;
