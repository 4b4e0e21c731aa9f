import { decodeToken, Errors, encodeToken, type MetricDatumInput } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import { operation } from "../operation.ts";
import { bool, dbl, int, list, req, type Static, str, struct, ts, unsupported } from "../shapes.ts";

import { Dimension, noMetricMath, noPercentiles } from "./cloudwatch-common.ts";

/* Metrics over the CloudWatch door: PutMetricData, statistics, GetMetricData and ListMetrics. */

const Metric = struct({ namespace: str, metricName: str, dimensions: list(Dimension) });

const MetricDataQuery = struct({
  id: req(str),
  metricStat: struct({ metric: req(Metric), period: req(int), stat: req(str), unit: str }),
  expression: str,
  label: str,
  returnData: bool,
  period: int,
  accountId: str,
});

const MetricDatum = struct({
  metricName: req(str),
  dimensions: list(Dimension),
  timestamp: ts,
  value: dbl,
  statisticValues: struct({ sampleCount: req(dbl), sum: req(dbl), minimum: req(dbl), maximum: req(dbl) }),
  values: list(dbl),
  counts: list(dbl),
  unit: str,
  storageResolution: int,
});

// ---- GetMetricData ---------------------------------------------------------------------------------------

/** GetMetricStatistics answers at most 1,440 datapoints; GetMetricData asks for its range in such slices. */
const sliceDatapoints = 1440;

interface Series {
  id: string;
  label: string;
  timestamps: string[];
  values: number[];
}

function querySeries(
  services: Services,
  query: Static<typeof MetricDataQuery>,
  start: number,
  end: number,
  descending: boolean,
): Series {
  if (query.expression !== undefined) throw new Errors.ValidationError(noMetricMath);
  const stat = query.metricStat;
  if (!stat)
    throw new Errors.MissingParameter(`The parameter MetricDataQueries.member.N.MetricStat is required.`);
  const { metric, period } = stat;
  if (metric.namespace === undefined || metric.metricName === undefined)
    throw new Errors.MissingParameter("MetricStat.Metric needs Namespace and MetricName.");
  const key = statisticKey(stat.stat);
  const points: Array<{ timestamp: string; value: number }> = [];
  for (let from = start; from < end; from += period * sliceDatapoints) {
    const to = Math.min(end, from + period * sliceDatapoints);
    const { datapoints } = services.metrics.statistics({
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: metric.dimensions ?? [],
      startTime: from,
      endTime: to,
      period,
      statistics: [stat.stat],
      unit: stat.unit,
    });
    for (const point of datapoints) {
      const value = point[key];
      if (value !== undefined) points.push({ timestamp: point.timestamp, value });
    }
  }
  if (descending) points.reverse();
  return {
    id: query.id,
    label: query.label ?? metric.metricName,
    timestamps: points.map((p) => p.timestamp),
    values: points.map((p) => p.value),
  };
}

function statisticKey(stat: string): "sampleCount" | "average" | "sum" | "minimum" | "maximum" {
  switch (stat) {
    case "SampleCount":
      return "sampleCount";
    case "Average":
      return "average";
    case "Sum":
      return "sum";
    case "Minimum":
      return "minimum";
    case "Maximum":
      return "maximum";
    default:
      throw new Errors.InvalidParameterValue(
        `The value ${stat} for parameter MetricStat.Stat is not supported by scaleout: use SampleCount, Average, Sum, Minimum or Maximum`,
      );
  }
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export const metricOperations = {
  PutMetricData: operation({
    input: struct({
      namespace: req(str),
      metricData: list(MetricDatum),
      entityMetricData: unsupported("EntityMetricData is not supported by scaleout: use MetricData"),
      strictEntityValidation: bool,
    }),
    output: undefined,
    support: "implemented",
    notes: "Custom namespaces (the AWS/ prefix is reserved); stored as per-second statistic sets.",
    run: (input, { services }) => {
      services.metrics.put(input.namespace, input.metricData as MetricDatumInput[] | undefined);
      return undefined;
    },
  }),

  GetMetricStatistics: operation({
    input: struct({
      namespace: req(str),
      metricName: req(str),
      dimensions: list(Dimension),
      startTime: req(ts),
      endTime: req(ts),
      period: req(int),
      statistics: list(str),
      extendedStatistics: list(str),
      unit: str,
    }),
    output: struct({
      label: str,
      datapoints: list(
        struct({
          timestamp: ts,
          sampleCount: dbl,
          average: dbl,
          sum: dbl,
          minimum: dbl,
          maximum: dbl,
          unit: str,
        }),
      ),
    }),
    support: "partial",
    notes: noPercentiles,
    run: (input, { services }) => services.metrics.statistics(input),
  }),

  GetMetricData: operation({
    input: struct({
      metricDataQueries: req(list(MetricDataQuery)),
      startTime: req(ts),
      endTime: req(ts),
      nextToken: str,
      scanBy: str,
      maxDatapoints: int,
      labelOptions: struct({ timezone: str }),
    }),
    output: struct({
      metricDataResults: list(
        struct({
          id: str,
          label: str,
          timestamps: list(ts),
          values: list(dbl),
          statusCode: str,
          messages: list(struct({ code: str, value: str })),
        }),
      ),
      nextToken: str,
      messages: list(struct({ code: str, value: str })),
    }),
    support: "partial",
    notes: "MetricStat queries with the five plain statistics; metric math expressions are refused.",
    run: (input, { services }) => {
      const queries = input.metricDataQueries;
      if (queries.length === 0 || queries.length > 500)
        throw new Errors.ValidationError("MetricDataQueries must hold between 1 and 500 queries");
      const ids = queries.map((q) => q.id);
      if (new Set(ids).size !== ids.length)
        throw new Errors.ValidationError("The Id of each query in MetricDataQueries must be unique");
      const scanBy = input.scanBy ?? "TimestampDescending";
      if (scanBy !== "TimestampDescending" && scanBy !== "TimestampAscending")
        throw new Errors.InvalidParameterValue("ScanBy must be TimestampDescending or TimestampAscending");
      const budget = input.maxDatapoints ?? 100_800;
      if (!Number.isInteger(budget) || budget < 1)
        throw new Errors.InvalidParameterValue("MaxDatapoints must be a positive integer");
      const start = seconds(input.startTime);
      const end = seconds(input.endTime);
      if (start >= end)
        throw new Errors.InvalidParameterValue(
          "The parameter StartTime must be less than the parameter EndTime.",
        );
      // The token names where the previous page stopped: query index and datapoint offset within it.
      const token = decodeToken(input.nextToken);
      const [fromQuery, fromOffset] = token === undefined ? [0, 0] : (JSON.parse(token) as [number, number]);
      const returned = queries.filter((q) => q.returnData !== false);
      let left = budget;
      const results: Array<Series & { statusCode: string }> = [];
      let next: string | undefined;
      for (let i = fromQuery; i < returned.length; i++) {
        const query = returned[i];
        if (!query) continue;
        const series = querySeries(services, query, start, end, scanBy === "TimestampDescending");
        const offset = i === fromQuery ? fromOffset : 0;
        const take = Math.min(left, series.values.length - offset);
        results.push({
          ...series,
          timestamps: series.timestamps.slice(offset, offset + take),
          values: series.values.slice(offset, offset + take),
          statusCode: offset + take < series.values.length ? "PartialData" : "Complete",
        });
        left -= take;
        if (offset + take < series.values.length) {
          next = encodeToken(JSON.stringify([i, offset + take]));
          break;
        }
        if (left === 0 && i + 1 < returned.length) {
          next = encodeToken(JSON.stringify([i + 1, 0]));
          break;
        }
      }
      return { metricDataResults: results, nextToken: next, messages: [] };
    },
  }),

  ListMetrics: operation({
    input: struct({
      namespace: str,
      metricName: str,
      dimensions: list(struct({ name: req(str), value: str })),
      nextToken: str,
      recentlyActive: str,
      includeLinkedAccounts: bool,
      owningAccount: str,
    }),
    output: struct({ metrics: list(Metric), nextToken: str }),
    support: "implemented",
    notes: "Pages of 400 metrics (AWS: 500).",
    run: (input, { services }) => {
      const result = services.metrics.list({
        namespace: input.namespace,
        metricName: input.metricName,
        dimensions: input.dimensions,
        recentlyActive: input.recentlyActive,
        nextToken: input.nextToken,
      });
      return { metrics: result.items, nextToken: result.nextToken };
    },
  }),
};
