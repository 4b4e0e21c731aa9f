import { setTimeout as delay } from "node:timers/promises";
import { CloudFormation } from "@scaleout/core";
import type { CreateGroupInput } from "../auto-scaling-groups.ts";
import type { ProviderRequest, ResourceProvider } from "./types.ts";

type TemplateValue = CloudFormation.TemplateValue;

import { booleanProp, found, generatedName, isNotFound, numberProp, prop, stringProp } from "./types.ts";

/** How long a delete waits for the group's instances to terminate (CloudFormation waits too). */
const deleteTimeoutMs = 10 * 60_000;
/** CloudFormation's default for a rolling update's wait. */
const refreshTimeoutMs = 60 * 60_000;

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

/**
 * UpdatePolicy's AutoScalingRollingUpdate, or AutoScalingReplacingUpdate: a new group's worth of
 * instances launched before the old ones go (scaleout keeps the group and rolls its instances).
 */
function rollingUpdateOf(
  policy: TemplateValue | undefined,
  desired: number,
): CloudFormation.RollingUpdate | undefined {
  if (policy === undefined || policy === null || typeof policy !== "object" || Array.isArray(policy))
    return undefined;
  const rolling = Object.hasOwn(policy, "AutoScalingRollingUpdate")
    ? policy.AutoScalingRollingUpdate
    : undefined;
  const replacing = Object.hasOwn(policy, "AutoScalingReplacingUpdate")
    ? policy.AutoScalingReplacingUpdate
    : undefined;
  if (rolling !== undefined && rolling !== null && typeof rolling === "object" && !Array.isArray(rolling))
    return {
      minInService: numberProp(rolling, "MinInstancesInService") ?? 0,
      maxBatchSize: numberProp(rolling, "MaxBatchSize") ?? 1,
      pauseSeconds: CloudFormation.pauseSeconds(stringProp(rolling, "PauseTime")),
      waitOnResourceSignals: booleanProp(rolling, "WaitOnResourceSignals") ?? false,
    };
  if (replacing !== undefined)
    return { minInService: desired, maxBatchSize: desired, pauseSeconds: 0, waitOnResourceSignals: false };
  return undefined;
}

/**
 * Rolls the group's instances onto its new launch template through an instance refresh (CloudFormation
 * replaces them batch by batch; an instance refresh is scaleout's way to), and waits for it to end. The
 * batches' bounds become the refresh's healthy percentages (core's rolling-update.ts).
 */
async function refresh(
  services: ProviderRequest["services"],
  groupName: string,
  policy: TemplateValue | undefined,
  now: () => number,
): Promise<void> {
  const desired = services.groups.get(groupName).desiredCapacity;
  const rolling = rollingUpdateOf(policy, desired);
  if (rolling === undefined || desired === 0) return;
  const { instanceRefreshId } = services.instanceRefreshes.start(groupName, {
    preferences: CloudFormation.rollingRefreshPreferences(desired, rolling),
  });
  const deadline = now() + refreshTimeoutMs;
  while (now() < deadline) {
    const [current] = services.instanceRefreshes.describe(groupName, {
      instanceRefreshIds: [instanceRefreshId],
    }).items;
    const status = current?.status ?? "Failed";
    if (status === "Successful") return;
    if (["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed", "Baseline"].includes(status))
      throw new Error(
        `The rolling update of ${groupName} ended ${status}: ${current?.statusReason ?? ""}`.trim(),
      );
    await delay(250);
  }
  throw new Error(`The rolling update of ${groupName} did not end within an hour`);
}

function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

const nameOf = ({ stackName, logicalId, properties, token }: ProviderRequest) =>
  stringProp(properties, "AutoScalingGroupName") ?? generatedName(stackName, logicalId, 255, token);

/** AWS::AutoScaling::AutoScalingGroup. Ref: the group's name. */
export const autoScalingGroupProvider: ResourceProvider = {
  replaces: ["AutoScalingGroupName"],
  namedBy: "AutoScalingGroupName",
  create(request) {
    const { services, properties } = request;
    const name = nameOf(request);
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
  adopt(request) {
    const group = found(() => request.services.groups.get(nameOf(request)));
    return group === undefined ? undefined : { physicalId: group.autoScalingGroupName, attributes: {} };
  },
  async update({ services, physicalId, properties, previous, updatePolicy, now }) {
    services.groups.update(
      physicalId,
      defined(fieldsOf(properties)) as Parameters<typeof services.groups.update>[1],
    );
    const templateChanged =
      JSON.stringify(fieldsOf(previous).launchTemplate) !==
      JSON.stringify(fieldsOf(properties).launchTemplate);
    if (templateChanged) await refresh(services, physicalId, updatePolicy, now);
    return { physicalId, attributes: {} };
  } /** Deletes the group with its instances and waits until the last one has terminated, as CloudFormation does. */,
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
