import type { ScheduledActionInput } from "../scheduled-actions.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { deleting, generatedName, numberProp, requiredString, stringProp } from "./types.ts";

function inputOf(name: string, properties: ProviderRequest["properties"]): ScheduledActionInput {
  const input = {
    scheduledActionName: name,
    startTime: stringProp(properties, "StartTime"),
    endTime: stringProp(properties, "EndTime"),
    recurrence: stringProp(properties, "Recurrence"),
    timeZone: stringProp(properties, "TimeZone"),
    minSize: numberProp(properties, "MinSize"),
    maxSize: numberProp(properties, "MaxSize"),
    desiredCapacity: numberProp(properties, "DesiredCapacity"),
  };
  // The service checks every member, as PutScheduledUpdateGroupAction does on either door.
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ScheduledActionInput;
}

/** AWS::AutoScaling::ScheduledAction. Ref: the action's name; GetAtt ScheduledActionName. */
export const scheduledActionProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName"],
  create({ services, stackName, logicalId, properties, token }) {
    const name = generatedName(stackName, logicalId, 255, token);
    services.scheduledActions.put(
      requiredString(properties, "AutoScalingGroupName"),
      inputOf(name, properties),
    );
    return { physicalId: name, attributes: { ScheduledActionName: name } };
  },
  update({ services, physicalId, properties }) {
    services.scheduledActions.put(
      requiredString(properties, "AutoScalingGroupName"),
      inputOf(physicalId, properties),
    );
    return { physicalId, attributes: { ScheduledActionName: physicalId } };
  },
  delete({ services, physicalId, properties }) {
    return deleting(() =>
      services.scheduledActions.delete(requiredString(properties, "AutoScalingGroupName"), physicalId),
    );
  },
};
