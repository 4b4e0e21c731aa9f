import { shapes } from "@scaleout/services";
import { deriveMembers, deriveShape } from "../derive-shape.ts";
import { operation, pageSize } from "../operation.ts";
import { int, list, req, str, struct, ts, unsupported } from "../shapes.ts";

import { Dimension, noMetricMath, noPercentiles, page } from "./cloudwatch-common.ts";

/* Metric alarms over the CloudWatch door: their members come from the alarm service's declarations. */

// AWS requires a tag's Value here; the services' Tag leaves it optional (ELB's does not need one).
const Tag = struct({ key: req(str), value: req(str) });
const MetricAlarm = deriveShape(shapes.MetricAlarm);
const AlarmNames = struct({ alarmNames: req(list(str)) });

export const alarmOperations = {
  PutMetricAlarm: operation({
    // The service's settings, with what AWS requires and what scaleout refuses at the door.
    input: struct({
      alarmName: req(str),
      ...deriveMembers(shapes.PutAlarm),
      extendedStatistic: unsupported(noPercentiles),
      evaluationPeriods: req(int),
      comparisonOperator: req(str),
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
      const { alarmName, evaluateLowSampleCountPercentile: _ignored, ...alarm } = input;
      services.alarms.put(alarmName, alarm);
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
        alarmNames: input.alarmNames,
        alarmNamePrefix: input.alarmNamePrefix,
        stateValue: input.stateValue,
        actionPrefix: input.actionPrefix,
        pageSize: size,
        nextToken: input.nextToken,
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
      services.alarms.delete(input.alarmNames);
      return undefined;
    },
  }),

  SetAlarmState: operation({
    input: struct({ alarmName: req(str), ...deriveMembers(shapes.SetAlarmState) }),
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
      alarmHistoryItems: list(deriveShape(shapes.AlarmHistoryItem)),
      nextToken: str,
    }),
    support: "implemented",
    run: (input, { services }) => {
      if (input.alarmTypes !== undefined && !input.alarmTypes.includes("MetricAlarm"))
        return { alarmHistoryItems: [] };
      const result = services.alarms.history(input.alarmName, {
        historyItemType: input.historyItemType,
        startDate: input.startDate,
        endDate: input.endDate,
        scanBy: input.scanBy,
        pageSize: pageSize(input.maxRecords, "MaxRecords", 100, 50),
        nextToken: input.nextToken,
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
};
