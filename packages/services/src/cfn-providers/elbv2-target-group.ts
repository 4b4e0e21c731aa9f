import type { TargetGroupInput } from "@scaleout/core";
import type { ResourceProvider } from "./types.ts";
import { generatedName, prop, stringProp, tagsProp } from "./types.ts";

const healthCheckProperties = [
  "HealthCheckEnabled",
  "HealthCheckIntervalSeconds",
  "HealthCheckPath",
  "HealthCheckPort",
  "HealthCheckProtocol",
  "HealthCheckTimeoutSeconds",
  "HealthyThresholdCount",
  "UnhealthyThresholdCount",
  "Matcher",
] as const;

function settingsOf(properties: Parameters<typeof prop>[0], keys: readonly string[]): TargetGroupInput {
  const settings: Record<string, unknown> = {};
  for (const key of keys) {
    const value = prop<unknown>(properties, key);
    // CloudFormation passes numbers as strings too ("5"); the services take numbers.
    if (value !== undefined)
      settings[`${key.charAt(0).toLowerCase()}${key.slice(1)}`] =
        typeof value === "string" && /Seconds$|Count$|^Port$/.test(key) && /^\d+$/.test(value)
          ? Number(value)
          : value;
  }
  // The services check every member, as they do for the doors' CreateTargetGroup.
  return settings as TargetGroupInput;
}

type Targets = Array<{ id: string; port?: number; availabilityZone?: string }>;

/** AWS::ElasticLoadBalancingV2::TargetGroup. Ref: the ARN. */
export const targetGroupProvider: ResourceProvider = {
  replaces: ["Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId", "IpAddressType"],
  namedBy: "Name",
  create({ services, stackName, logicalId, properties, token }) {
    const name = stringProp(properties, "Name") ?? generatedName(stackName, logicalId, 32, token);
    const { targetGroup } = services.targetGroups.create({
      name,
      ...settingsOf(properties, [
        "Protocol",
        "ProtocolVersion",
        "Port",
        "TargetType",
        "VpcId",
        ...healthCheckProperties,
      ]),
      tags: tagsProp(properties),
    });
    const arn = targetGroup.targetGroupArn;
    const attributes = prop<Array<{ key: string; value: string }>>(properties, "TargetGroupAttributes");
    if (attributes !== undefined) services.targetGroups.modifyAttributes(arn, attributes);
    const targets = prop<Targets>(properties, "Targets");
    if (targets !== undefined && targets.length > 0) services.targetGroups.register(arn, targets);
    return { physicalId: arn, attributes: attributesOf(services, arn) };
  },
  update({ services, physicalId, properties, previous }) {
    services.targetGroups.modify(physicalId, settingsOf(properties, healthCheckProperties));
    const attributes = prop<Array<{ key: string; value: string }>>(properties, "TargetGroupAttributes");
    if (attributes !== undefined) services.targetGroups.modifyAttributes(physicalId, attributes);
    const before = prop<Targets>(previous, "Targets") ?? [];
    const after = prop<Targets>(properties, "Targets") ?? [];
    const key = (t: { id: string; port?: number }) => `${t.id}:${t.port ?? ""}`;
    const gone = before.filter((t) => !after.some((a) => key(a) === key(t)));
    const added = after.filter((t) => !before.some((b) => key(b) === key(t)));
    if (gone.length > 0) services.targetGroups.deregister(physicalId, gone);
    if (added.length > 0) services.targetGroups.register(physicalId, added);
    return { physicalId, attributes: attributesOf(services, physicalId) };
  },
  delete({ services, physicalId }) {
    services.targetGroups.delete(physicalId);
  },
};

function attributesOf(services: Parameters<ResourceProvider["create"]>[0]["services"], arn: string) {
  const group = services.targetGroups.get(arn);
  return {
    LoadBalancerArns: group.loadBalancerArns,
    TargetGroupArn: arn,
    TargetGroupFullName: arn.slice(arn.indexOf(":targetgroup/") + 1),
    TargetGroupName: group.targetGroupName,
  };
}
