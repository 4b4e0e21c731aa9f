import type { Wire } from "../shapes/common.ts";
import type { PutLifecycleHook } from "../shapes/lifecycle-hooks.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { deleting, generatedName, numberProp, requiredString, stringProp } from "./types.ts";

function inputOf(properties: ProviderRequest["properties"]): Wire<PutLifecycleHook> {
  const input = {
    lifecycleTransition: stringProp(properties, "LifecycleTransition"),
    roleARN: stringProp(properties, "RoleARN"),
    notificationTargetARN: stringProp(properties, "NotificationTargetARN"),
    notificationMetadata: stringProp(properties, "NotificationMetadata"),
    heartbeatTimeout: numberProp(properties, "HeartbeatTimeout"),
    defaultResult: stringProp(properties, "DefaultResult"),
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

/** AWS::AutoScaling::LifecycleHook. Ref: the hook's name. */
export const lifecycleHookProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName", "LifecycleHookName"],
  namedBy: "LifecycleHookName",
  create({ services, stackName, logicalId, properties, token }) {
    const group = requiredString(properties, "AutoScalingGroupName");
    const name =
      stringProp(properties, "LifecycleHookName") ?? generatedName(stackName, logicalId, 255, token);
    services.lifecycleHooks.put(group, name, inputOf(properties));
    return { physicalId: name, attributes: {} };
  },
  update({ services, physicalId, properties }) {
    services.lifecycleHooks.put(
      requiredString(properties, "AutoScalingGroupName"),
      physicalId,
      inputOf(properties),
    );
    return { physicalId, attributes: {} };
  },
  delete({ services, physicalId, properties }) {
    return deleting(() =>
      services.lifecycleHooks.delete(requiredString(properties, "AutoScalingGroupName"), physicalId),
    );
  },
};
