import { setTimeout as delay } from "node:timers/promises";
import type { CreateGroupInput } from "../auto-scaling-groups.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";
import { booleanProp, generatedName, isNotFound, numberProp, prop, stringProp } from "./types.ts";

/** How long a delete waits for the group's instances to terminate (CloudFormation waits too). */
const deleteTimeoutMs = 10 * 60_000;

function fieldsOf(properties: ProviderRequest["properties"]) {
  const zones = prop<string[] | string>(properties, "VPCZoneIdentifier");
  const launchTemplate = prop<{
    launchTemplateId?: string;
    launchTemplateName?: string;
    version?: string | number;
  }>(properties, "LaunchTemplate");
  return {
    minSize: numberProp(properties, "MinSize"),
    maxSize: numberProp(properties, "MaxSize"),
    desiredCapacity: numberProp(properties, "DesiredCapacity"),
    healthCheckType: stringProp(properties, "HealthCheckType"),
    healthCheckGracePeriod: numberProp(properties, "HealthCheckGracePeriod"),
    // CloudFormation calls DefaultCooldown "Cooldown".
    defaultCooldown: numberProp(properties, "Cooldown"),
    defaultInstanceWarmup: numberProp(properties, "DefaultInstanceWarmup"),
    terminationPolicies: prop<string[]>(properties, "TerminationPolicies"),
    newInstancesProtectedFromScaleIn: booleanProp(properties, "NewInstancesProtectedFromScaleIn"),
    availabilityZones: prop<string[]>(properties, "AvailabilityZones"),
    // A list in CloudFormation, a comma-separated string in the API.
    vpcZoneIdentifier: Array.isArray(zones) ? zones.join(",") : zones,
    launchTemplate:
      launchTemplate === undefined
        ? undefined
        : {
            ...(launchTemplate.launchTemplateId !== undefined && {
              launchTemplateId: launchTemplate.launchTemplateId,
            }),
            ...(launchTemplate.launchTemplateName !== undefined && {
              launchTemplateName: launchTemplate.launchTemplateName,
            }),
            ...(launchTemplate.version !== undefined && { version: String(launchTemplate.version) }),
          },
  };
}

function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** AWS::AutoScaling::AutoScalingGroup. Ref: the group's name. */
export const autoScalingGroupProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName"],
  namedBy: "AutoScalingGroupName",
  create({ services, stackName, logicalId, properties }) {
    const name = stringProp(properties, "AutoScalingGroupName") ?? generatedName(stackName, logicalId, 255);
    const input = {
      autoScalingGroupName: name,
      ...defined(fieldsOf(properties)),
      targetGroupARNs: prop<string[]>(properties, "TargetGroupARNs"),
      tags: prop<Array<{ key: string; value?: string; propagateAtLaunch?: boolean | string }>>(
        properties,
        "Tags",
      )?.map((tag) => ({
        ...tag,
        propagateAtLaunch: tag.propagateAtLaunch === true || tag.propagateAtLaunch === "true",
      })),
    };
    // The service checks every member, as it does for CreateAutoScalingGroup on either door.
    services.groups.create(defined(input) as CreateGroupInput);
    return { physicalId: name, attributes: {} };
  },
  update({ services, physicalId, properties }) {
    services.groups.update(
      physicalId,
      defined(fieldsOf(properties)) as Parameters<typeof services.groups.update>[1],
    );
    return { physicalId, attributes: {} };
  },
  /** Deletes the group with its instances and waits until the last one has terminated, as CloudFormation does. */
  async delete({ services, physicalId, now }) {
    try {
      services.groups.delete(physicalId, { forceDelete: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const deadline = now() + deleteTimeoutMs;
    while (now() < deadline) {
      try {
        services.groups.get(physicalId);
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      await delay(200);
    }
    throw new Error(`Auto Scaling group ${physicalId} was still deleting its instances after 10 minutes`);
  },
};
