import { check, Errors } from "./errors.ts";
import { parseScalingPolicyArn } from "./ids.ts";
import type { Limits } from "./limits.ts";
import type { ComparisonOperator, MetricDimension, Statistic, TreatMissingData } from "./types.ts";
import { checkInt, checkLength, checkOneOf, checkResourceName } from "./validate.ts";

export const statistics = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export const comparisonOperators = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;
export const treatMissingDataValues = ["breaching", "notBreaching", "ignore", "missing"] as const;
export const alarmStates = ["OK", "ALARM", "INSUFFICIENT_DATA"] as const;

export const units = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
] as const;

export interface AlarmInput {
  alarmName?: string;
  alarmDescription?: string;
  actionsEnabled?: boolean;
  okActions?: string[];
  alarmActions?: string[];
  insufficientDataActions?: string[];
  metricName?: string;
  namespace?: string;
  statistic?: string;
  extendedStatistic?: string;
  dimensions?: MetricDimension[];
  period?: number;
  unit?: string;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  threshold?: number;
  comparisonOperator?: string;
  treatMissingData?: string;
  metrics?: unknown[];
}

export interface AlarmSettings {
  alarmName: string;
  alarmDescription?: string;
  actionsEnabled: boolean;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  metricName: string;
  namespace: string;
  statistic: Statistic;
  dimensions: MetricDimension[];
  period: number;
  unit?: string;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

/** Period: 10, 20, 30 or a multiple of 60 seconds (any whole second from 1 in fast mode). */
export function checkPeriod(name: string, period: number, limits: Limits): void {
  check(
    Number.isInteger(period) && period >= limits.minAlarmPeriodSeconds,
    `${name} must be an integer of at least ${limits.minAlarmPeriodSeconds}`,
  );
  if (!limits.fast) {
    check(
      [10, 20, 30].includes(period) || period % 60 === 0,
      `${name} must be 10, 20, 30 or a multiple of 60`,
    );
  }
}

export function checkDimensions(dimensions: MetricDimension[] | undefined): MetricDimension[] {
  const list = dimensions ?? [];
  check(Array.isArray(list), "Dimensions must be a list");
  check(list.length <= 30, "At most 30 dimensions can be given");
  const names = new Set<string>();
  for (const dimension of list) {
    check(
      typeof dimension?.name === "string" && typeof dimension.value === "string",
      "Each dimension needs a Name and a Value",
    );
    checkLength("Dimension name", dimension.name, 1, 255);
    checkLength("Dimension value", dimension.value, 1, 1024);
    check(!names.has(dimension.name), `Dimension '${dimension.name}' is given more than once`);
    names.add(dimension.name);
  }
  return list.map(({ name, value }) => ({ name, value }));
}

function checkActions(name: string, actions: string[] | undefined): string[] {
  const list = actions ?? [];
  check(Array.isArray(list) && list.length <= 5, `${name} can hold at most 5 actions`);
  for (const arn of list) {
    check(typeof arn === "string" && arn.startsWith("arn:"), `${name}: '${arn}' is not an ARN`);
    const autoScaling = arn.startsWith("arn:aws:autoscaling:");
    if (autoScaling)
      check(parseScalingPolicyArn(arn) !== undefined, `${name}: '${arn}' is not a scaling policy ARN`);
  }
  return [...list];
}

/** PutMetricAlarm's rules for a single-metric alarm. */
export function normalizeAlarm(input: AlarmInput, limits: Limits): AlarmSettings {
  check(input.alarmName !== undefined, "AlarmName is required");
  checkResourceName("Alarm", input.alarmName);
  if (input.metrics !== undefined) {
    throw new Errors.ValidationError(
      "Metric math alarms (Metrics) are not supported by scaleout: give MetricName and Namespace",
    );
  }
  if (input.extendedStatistic !== undefined) {
    throw new Errors.ValidationError(
      "ExtendedStatistic (percentiles) is not supported by scaleout: use Statistic",
    );
  }
  if (input.namespace === undefined)
    throw new Errors.MissingParameter("The parameter Namespace is required.");
  if (input.metricName === undefined)
    throw new Errors.MissingParameter("The parameter MetricName is required.");
  checkLength("Namespace", input.namespace, 1, 255);
  checkLength("MetricName", input.metricName, 1, 255);
  if (input.statistic === undefined)
    throw new Errors.MissingParameter("The parameter Statistic is required.");
  if (input.period === undefined) throw new Errors.MissingParameter("The parameter Period is required.");
  if (input.evaluationPeriods === undefined)
    throw new Errors.MissingParameter("The parameter EvaluationPeriods is required.");
  if (input.threshold === undefined)
    throw new Errors.MissingParameter("The parameter Threshold is required.");
  if (input.comparisonOperator === undefined)
    throw new Errors.MissingParameter("The parameter ComparisonOperator is required.");
  checkPeriod("Period", input.period, limits);
  checkInt("EvaluationPeriods", input.evaluationPeriods, 1, 100000);
  check(
    input.period * input.evaluationPeriods <= (input.period >= 3600 ? 7 * 86400 : 86400),
    "The evaluation period (Period x EvaluationPeriods) cannot exceed one day (seven days for periods of an hour or more)",
  );
  const datapointsToAlarm = input.datapointsToAlarm ?? input.evaluationPeriods;
  checkInt("DatapointsToAlarm", datapointsToAlarm, 1, input.evaluationPeriods);
  check(Number.isFinite(input.threshold), "Threshold must be a number");
  if (input.alarmDescription !== undefined) checkLength("AlarmDescription", input.alarmDescription, 0, 1024);
  if (input.unit !== undefined) checkOneOf("Unit", input.unit, units);
  return {
    alarmName: input.alarmName,
    ...(input.alarmDescription !== undefined && { alarmDescription: input.alarmDescription }),
    actionsEnabled: input.actionsEnabled ?? true,
    okActions: checkActions("OKActions", input.okActions),
    alarmActions: checkActions("AlarmActions", input.alarmActions),
    insufficientDataActions: checkActions("InsufficientDataActions", input.insufficientDataActions),
    metricName: input.metricName,
    namespace: input.namespace,
    statistic: checkOneOf("Statistic", input.statistic, statistics),
    dimensions: checkDimensions(input.dimensions),
    period: input.period,
    ...(input.unit !== undefined && { unit: input.unit }),
    evaluationPeriods: input.evaluationPeriods,
    datapointsToAlarm,
    threshold: input.threshold,
    comparisonOperator: checkOneOf("ComparisonOperator", input.comparisonOperator, comparisonOperators),
    treatMissingData: checkOneOf(
      "TreatMissingData",
      input.treatMissingData ?? "missing",
      treatMissingDataValues,
    ),
  };
}

export function breaches(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

export const operatorSymbol: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: ">=",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};
