import type { PutAlarm } from "../shapes/alarms.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { booleanProp, deleting, generatedName, numberProp, prop, stringProp } from "./types.ts";

function inputOf(properties: ProviderRequest["properties"]): PutAlarm {
  const input = {
    alarmDescription: stringProp(properties, "AlarmDescription"),
    actionsEnabled: booleanProp(properties, "ActionsEnabled"),
    okActions: prop<string[]>(properties, "OKActions"),
    alarmActions: prop<string[]>(properties, "AlarmActions"),
    insufficientDataActions: prop<string[]>(properties, "InsufficientDataActions"),
    metricName: stringProp(properties, "MetricName"),
    namespace: stringProp(properties, "Namespace"),
    statistic: stringProp(properties, "Statistic"),
    extendedStatistic: stringProp(properties, "ExtendedStatistic"),
    dimensions: prop<PutAlarm["dimensions"]>(properties, "Dimensions"),
    period: numberProp(properties, "Period"),
    unit: stringProp(properties, "Unit"),
    evaluationPeriods: numberProp(properties, "EvaluationPeriods"),
    datapointsToAlarm: numberProp(properties, "DatapointsToAlarm"),
    threshold: numberProp(properties, "Threshold"),
    comparisonOperator: stringProp(properties, "ComparisonOperator"),
    treatMissingData: stringProp(properties, "TreatMissingData"),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

/** AWS::CloudWatch::Alarm. Ref: the alarm's name; GetAtt Arn. */
export const alarmProvider: ResourceProvider = {
  replaces: ["AlarmName"],
  namedBy: "AlarmName",
  create({ services, stackName, logicalId, properties, token }) {
    const name = stringProp(properties, "AlarmName") ?? generatedName(stackName, logicalId, 255, token);
    const { alarm } = services.alarms.put(name, inputOf(properties));
    return { physicalId: name, attributes: { Arn: alarm.alarmArn } };
  },
  update({ services, physicalId, properties }) {
    const { alarm } = services.alarms.put(physicalId, inputOf(properties));
    return { physicalId, attributes: { Arn: alarm.alarmArn } };
  },
  delete({ services, physicalId }) {
    return deleting(() => services.alarms.delete([physicalId]));
  },
};
