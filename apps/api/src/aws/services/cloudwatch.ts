import { type AwsError, decodeToken, Errors, encodeToken, type MetricDatumInput } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import { type AwsService, operation, pageSize, validationErrors } from "../operation.ts";
import { bool, dbl, int, list, req, type Static, str, struct, ts, unsupported } from "../shapes.ts";

// ---- Shapes (botocore monitoring 2010-08-01) -------------------------------------------------------------

const Dimension = struct({ name: req(str), value: req(str) });
const Tag = struct({ key: req(str), value: req(str) });

const MetricAlarm = struct({
  alarmName: str,
  alarmArn: str,
  alarmDescription: str,
  alarmConfigurationUpdatedTimestamp: ts,
  actionsEnabled: bool,
  okActions: list(str),
  alarmActions: list(str),
  insufficientDataActions: list(str),
  stateValue: str,
  stateReason: str,
  stateReasonData: str,
  stateUpdatedTimestamp: ts,
  metricName: str,
  namespace: str,
  statistic: str,
  dimensions: list(Dimension),
  period: int,
  unit: str,
  evaluationPeriods: int,
  datapointsToAlarm: int,
  threshold: dbl,
  comparisonOperator: str,
  treatMissingData: str,
  stateTransitionedTimestamp: ts,
});

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

const AlarmNames = struct({ alarmNames: req(list(str)) });
const page = { nextToken: str, maxRecords: int };

const noMetricMath = "Metric math is not supported by scaleout: query single metrics with MetricStat";
const noPercentiles = "Extended statistics (percentiles) are not supported by scaleout";

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
      ...(stat.unit !== undefined && { unit: stat.unit }),
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

// ---- Operations ------------------------------------------------------------------------------------------

const operations = {
  PutMetricAlarm: operation({
    input: struct({
      alarmName: req(str),
      alarmDescription: str,
      actionsEnabled: bool,
      okActions: list(str),
      alarmActions: list(str),
      insufficientDataActions: list(str),
      metricName: str,
      namespace: str,
      statistic: str,
      extendedStatistic: unsupported(noPercentiles),
      dimensions: list(Dimension),
      period: int,
      unit: str,
      evaluationPeriods: req(int),
      datapointsToAlarm: int,
      threshold: dbl,
      comparisonOperator: req(str),
      treatMissingData: str,
      evaluateLowSampleCountPercentile: str,
      metrics: unsupported(noMetricMath),
      tags: list(Tag),
      thresholdMetricId: unsupported(noMetricMath),
    }),
    output: undefined,
    support: "partial",
    notes:
      "Single-metric alarms with the five plain statistics; actions run Auto Scaling policies (other ARNs are recorded as failed actions).",
    run: (input, { services }) => {
      const { tags, evaluateLowSampleCountPercentile: _ignored, ...alarm } = input;
      const { alarm: saved } = services.alarms.put(input.alarmName, alarm);
      if (tags?.length) services.tagging.resources.set(saved.alarmArn, tags);
      return undefined;
    },
  }),

  DescribeAlarms: operation({
    input: struct({
      alarmNames: list(str),
      alarmNamePrefix: str,
      alarmTypes: list(str),
      childrenOfAlarmName: str,
      parentsOfAlarmName: str,
      stateValue: str,
      actionPrefix: str,
      ...page,
    }),
    output: struct({
      compositeAlarms: list(struct({ alarmName: str })),
      metricAlarms: list(MetricAlarm),
      nextToken: str,
    }),
    support: "implemented",
    notes: "There are no composite alarms: CompositeAlarms is always empty.",
    run: (input, { services }) => {
      const size = pageSize(input.maxRecords, "MaxRecords", 100, 50);
      const metricAlarms =
        (input.alarmTypes === undefined || input.alarmTypes.includes("MetricAlarm")) &&
        input.childrenOfAlarmName === undefined &&
        input.parentsOfAlarmName === undefined;
      if (!metricAlarms) return { compositeAlarms: [], metricAlarms: [] };
      const result = services.alarms.list({
        ...(input.alarmNames !== undefined && { alarmNames: input.alarmNames }),
        ...(input.alarmNamePrefix !== undefined && { alarmNamePrefix: input.alarmNamePrefix }),
        ...(input.stateValue !== undefined && { stateValue: input.stateValue }),
        ...(input.actionPrefix !== undefined && { actionPrefix: input.actionPrefix }),
        pageSize: size,
        ...(input.nextToken !== undefined && { nextToken: input.nextToken }),
      });
      return { compositeAlarms: [], metricAlarms: result.items, nextToken: result.nextToken };
    },
  }),

  DescribeAlarmsForMetric: operation({
    input: struct({
      metricName: req(str),
      namespace: req(str),
      statistic: str,
      extendedStatistic: unsupported(noPercentiles),
      dimensions: list(Dimension),
      period: int,
      unit: str,
    }),
    output: struct({ metricAlarms: list(MetricAlarm) }),
    support: "implemented",
    run: (input, { services }) => ({ metricAlarms: services.alarms.forMetric(input) }),
  }),

  DeleteAlarms: operation({
    input: AlarmNames,
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      const arns = services.alarms
        .list({ alarmNames: input.alarmNames, pageSize: 400 })
        .items.map((a) => a.alarmArn);
      services.alarms.delete(input.alarmNames);
      for (const arn of arns) services.tagging.resources.removeAll(arn);
      return undefined;
    },
  }),

  SetAlarmState: operation({
    input: struct({ alarmName: req(str), stateValue: req(str), stateReason: req(str), stateReasonData: str }),
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      const { alarmName, ...state } = input;
      services.alarms.setState(alarmName, state);
      return undefined;
    },
  }),

  DescribeAlarmHistory: operation({
    input: struct({
      alarmName: str,
      alarmContributorId: str,
      alarmTypes: list(str),
      historyItemType: str,
      startDate: ts,
      endDate: ts,
      ...page,
      scanBy: str,
    }),
    output: struct({
      alarmHistoryItems: list(
        struct({
          alarmName: str,
          alarmType: str,
          timestamp: ts,
          historyItemType: str,
          historySummary: str,
          historyData: str,
        }),
      ),
      nextToken: str,
    }),
    support: "implemented",
    run: (input, { services }) => {
      if (input.alarmTypes !== undefined && !input.alarmTypes.includes("MetricAlarm"))
        return { alarmHistoryItems: [] };
      const result = services.alarms.history(input.alarmName, {
        ...(input.historyItemType !== undefined && { historyItemType: input.historyItemType }),
        ...(input.startDate !== undefined && { startDate: input.startDate }),
        ...(input.endDate !== undefined && { endDate: input.endDate }),
        ...(input.scanBy !== undefined && { scanBy: input.scanBy }),
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        ...(input.nextToken !== undefined && { nextToken: input.nextToken }),
      });
      return { alarmHistoryItems: result.items, nextToken: result.nextToken };
    },
  }),

  EnableAlarmActions: operation({
    input: AlarmNames,
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.alarms.setActionsEnabled(input.alarmNames, true);
      return undefined;
    },
  }),

  DisableAlarmActions: operation({
    input: AlarmNames,
    output: undefined,
    support: "implemented",
    run: (input, { services }) => {
      services.alarms.setActionsEnabled(input.alarmNames, false);
      return undefined;
    },
  }),

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
        ...(input.namespace !== undefined && { namespace: input.namespace }),
        ...(input.metricName !== undefined && { metricName: input.metricName }),
        ...(input.dimensions !== undefined && { dimensions: input.dimensions }),
        ...(input.recentlyActive !== undefined && { recentlyActive: input.recentlyActive }),
        ...(input.nextToken !== undefined && { nextToken: input.nextToken }),
      });
      return { metrics: result.items, nextToken: result.nextToken };
    },
  }),
};

export const cloudWatch: AwsService = {
  id: "cloudwatch",
  title: "Amazon CloudWatch",
  version: "2010-08-01",
  xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  signingName: "monitoring",
  wire: "query",
  // awsJson1_0 names an error by its shape; awsQueryCompatible clients read the code from the header.
  json: {
    version: "1.0",
    targetPrefix: "GraniteServiceVersion20100801",
    queryCompatible: true,
    errorTypes: {
      ResourceNotFound: "com.amazonaws.cloudwatch#ResourceNotFound",
      InvalidParameterValue: "com.amazonaws.cloudwatch#InvalidParameterValueException",
      InvalidParameterCombination: "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
      MissingParameter: "com.amazonaws.cloudwatch#MissingRequiredParameterException",
      LimitExceeded: "com.amazonaws.cloudwatch#LimitExceededFault",
      InvalidNextToken: "com.amazonaws.cloudwatch#InvalidNextToken",
      InvalidFormat: "com.amazonaws.cloudwatch#InvalidFormatFault",
      ValidationError: "com.amazonaws.cloudwatch#ValidationException",
      InternalServiceError: "com.amazonaws.cloudwatch#InternalServiceFault",
    },
  },
  operations,
  inputErrors: {
    missing: (path) => new Errors.MissingParameter(`The parameter ${path} is required.`),
    invalid: (path, value, expected) =>
      new Errors.InvalidParameterValue(
        `The value ${value} for parameter ${path} is not valid: expected ${expected}.`,
      ),
    unsupported: (_path, message) => new Errors.InvalidParameterValue(message),
    // A model constraint is Smithy's validation, which CloudWatch words as the other query services do.
    violated: validationErrors.violated,
  },
  // CloudWatch answers 404 for ResourceNotFound and 400 for the other client errors.
  translate: (error: AwsError) => ({
    code: error.code,
    status: error.statusCode >= 500 ? error.statusCode : error.code === "ResourceNotFound" ? 404 : 400,
    message: error.message,
  }),
};
