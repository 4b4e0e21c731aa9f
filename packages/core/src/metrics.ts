import { checkDimensions, checkPeriod, statistics, units } from "./alarms.ts";
import { check, Errors } from "./errors.ts";
import type { Limits } from "./limits.ts";
import { timestampInRange } from "./timestamps.ts";
import type { MetricDimension, Statistic, StatisticSet } from "./types.ts";
import { checkLength, checkOneOf } from "./validate.ts";

export interface MetricDatumInput {
  metricName?: string;
  dimensions?: MetricDimension[];
  timestamp?: string | number;
  value?: number;
  values?: number[];
  counts?: number[];
  statisticValues?: { sampleCount: number; sum: number; minimum: number; maximum: number };
  unit?: string;
  storageResolution?: number;
}

/** One per-second statistic set, ready to merge into the store. */
export interface Sample extends StatisticSet {
  namespace: string;
  metricName: string;
  dimensions: MetricDimension[];
  /** Unix seconds. */
  timestamp: number;
  unit?: string;
}

const maxValue = 2 ** 360;

function checkValue(value: number): void {
  check(typeof value === "number" && Number.isFinite(value), "Metric values must be finite numbers");
  check(
    Math.abs(value) < maxValue && (value === 0 || Math.abs(value) > 2 ** -260),
    "Metric values must be 0 or between 8.515920e-109 and 1.174271e+108 in magnitude",
  );
}

/** A timestamp as ISO 8601 or Unix seconds, to Unix seconds. */
export function parseTimestamp(name: string, value: string | number): number {
  const ms = typeof value === "number" ? value * 1000 : Date.parse(value);
  if (!timestampInRange(ms))
    throw new Errors.InvalidParameterValue(
      `The parameter ${name} must be an ISO 8601 timestamp between 1970 and 9999`,
    );
  return Math.floor(ms / 1000);
}

/**
 * PutMetricData: checks each datum and folds it into one statistic set. Custom namespaces only, as in
 * AWS: the AWS/ prefix is reserved for what scaleout itself publishes.
 */
export function normalizeMetricData(
  namespace: string | undefined,
  data: MetricDatumInput[] | undefined,
  now: number,
): Sample[] {
  if (namespace === undefined) throw new Errors.MissingParameter("The parameter Namespace is required.");
  checkLength("Namespace", namespace, 1, 255);
  if (namespace.startsWith("AWS/")) {
    throw new Errors.InvalidParameterValue(
      `The value ${namespace} for parameter Namespace is invalid: the AWS/ prefix is reserved.`,
    );
  }
  if (data === undefined) throw new Errors.MissingParameter("The parameter MetricData is required.");
  check(
    Array.isArray(data) && data.length >= 1 && data.length <= 1000,
    "MetricData must hold between 1 and 1000 items",
  );
  return data.map((datum) => {
    if (datum.metricName === undefined)
      throw new Errors.MissingParameter("The parameter MetricData.member.N.MetricName is required.");
    checkLength("MetricName", datum.metricName, 1, 255);
    const dimensions = checkDimensions(datum.dimensions);
    if (datum.unit !== undefined) checkOneOf("Unit", datum.unit, units);
    if (datum.storageResolution !== undefined)
      check([1, 60].includes(datum.storageResolution), "StorageResolution must be 1 or 60");
    const timestamp = datum.timestamp === undefined ? now : parseTimestamp("Timestamp", datum.timestamp);
    check(
      timestamp >= now - 14 * 86400 && timestamp <= now + 2 * 3600,
      "The timestamp of a datum must be within the last two weeks and no more than two hours in the future",
    );
    const given = [
      datum.value !== undefined,
      datum.values !== undefined,
      datum.statisticValues !== undefined,
    ].filter(Boolean).length;
    if (given !== 1) {
      throw new Errors.InvalidParameterCombination(
        "Exactly one of Value, Values or StatisticValues must be given for each datum",
      );
    }
    let set: StatisticSet;
    if (datum.value !== undefined) {
      checkValue(datum.value);
      set = { sampleCount: 1, sum: datum.value, minimum: datum.value, maximum: datum.value };
    } else if (datum.values !== undefined) {
      const values = datum.values;
      const counts = datum.counts ?? values.map(() => 1);
      check(values.length >= 1 && values.length <= 150, "Values must hold between 1 and 150 items");
      check(counts.length === values.length, "Counts must have as many items as Values");
      for (const v of values) checkValue(v);
      for (const c of counts) check(Number.isFinite(c) && c > 0, "Counts must be positive numbers");
      set = {
        sampleCount: counts.reduce((a, b) => a + b, 0),
        sum: values.reduce((a, v, i) => a + v * (counts[i] ?? 1), 0),
        minimum: Math.min(...values),
        maximum: Math.max(...values),
      };
    } else {
      const s = datum.statisticValues as StatisticSet;
      for (const v of [s.sum, s.minimum, s.maximum]) checkValue(v);
      check(
        Number.isFinite(s.sampleCount) && s.sampleCount > 0,
        "StatisticValues SampleCount must be positive",
      );
      check(s.minimum <= s.maximum, "StatisticValues Minimum must not exceed Maximum");
      set = { sampleCount: s.sampleCount, sum: s.sum, minimum: s.minimum, maximum: s.maximum };
    }
    return {
      namespace,
      metricName: datum.metricName,
      dimensions,
      timestamp,
      ...(datum.unit !== undefined && { unit: datum.unit }),
      ...set,
    };
  });
}

/** Merges statistic sets: the aggregation every period query and every same-second write uses. */
export function mergeSets(a: StatisticSet, b: StatisticSet): StatisticSet {
  return {
    sampleCount: a.sampleCount + b.sampleCount,
    sum: a.sum + b.sum,
    minimum: Math.min(a.minimum, b.minimum),
    maximum: Math.max(a.maximum, b.maximum),
  };
}

export function statisticOf(set: StatisticSet, statistic: Statistic): number {
  switch (statistic) {
    case "SampleCount":
      return set.sampleCount;
    case "Sum":
      return set.sum;
    case "Minimum":
      return set.minimum;
    case "Maximum":
      return set.maximum;
    case "Average":
      return set.sum / set.sampleCount;
  }
}

/** A stable key for a dimension set: sorted by name, so {A,B} and {B,A} are one metric. */
export function dimensionsKey(dimensions: MetricDimension[]): string {
  return [...dimensions]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => `${d.name}=${d.value}`)
    .join("\n");
}

export interface StatisticsQuery {
  namespace: string;
  metricName: string;
  dimensions: MetricDimension[];
  startTime: number;
  endTime: number;
  period: number;
  statistics: Statistic[];
  unit?: string;
}

/** GetMetricStatistics' rules, including the 1,440-datapoint ceiling. */
export function normalizeStatisticsQuery(
  input: {
    namespace?: string;
    metricName?: string;
    dimensions?: MetricDimension[];
    startTime?: string | number;
    endTime?: string | number;
    period?: number;
    statistics?: string[];
    extendedStatistics?: string[];
    unit?: string;
  },
  limits: Limits,
): StatisticsQuery {
  for (const name of ["namespace", "metricName", "startTime", "endTime", "period"] as const) {
    if (input[name] === undefined) {
      throw new Errors.MissingParameter(
        `The parameter ${name[0]?.toUpperCase()}${name.slice(1)} is required.`,
      );
    }
  }
  const { namespace = "", metricName = "", period = 0 } = input;
  if (input.extendedStatistics?.length) {
    throw new Errors.InvalidParameterValue("ExtendedStatistics (percentiles) are not supported by scaleout");
  }
  const stats = input.statistics ?? [];
  if (stats.length === 0) {
    throw new Errors.MissingParameter("Either the parameter Statistics or ExtendedStatistics is required.");
  }
  check(stats.length <= 5, "At most 5 statistics can be requested");
  check(Number.isInteger(period) && period >= 1, "Period must be a positive integer");
  if (!limits.fast) {
    check(
      [1, 5, 10, 30].includes(period) || period % 60 === 0,
      "Period must be 1, 5, 10, 30 or a multiple of 60",
    );
  } else checkPeriod("Period", period, limits);
  const startTime = parseTimestamp("StartTime", input.startTime ?? 0);
  const endTime = parseTimestamp("EndTime", input.endTime ?? 0);
  if (startTime >= endTime) {
    throw new Errors.InvalidParameterValue(
      "The parameter StartTime must be less than the parameter EndTime.",
    );
  }
  const datapoints = Math.ceil((endTime - startTime) / period);
  if (datapoints > 1440) {
    throw new Errors.InvalidParameterCombination(
      `You have requested up to ${datapoints.toLocaleString("en-US")} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  if (input.unit !== undefined) checkOneOf("Unit", input.unit, units);
  return {
    namespace,
    metricName,
    dimensions: checkDimensions(input.dimensions),
    startTime,
    endTime,
    period,
    statistics: stats.map((s) => checkOneOf("Statistics", s, statistics)),
    ...(input.unit !== undefined && { unit: input.unit }),
  };
}
