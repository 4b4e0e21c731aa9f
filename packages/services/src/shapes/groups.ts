import { type Static, Type } from "@sinclair/typebox";
import { StringEnum, Timestamp } from "./common.ts";
import { LaunchTemplateRef, LaunchTemplateSpec } from "./launch-templates.ts";
import { LifecycleHookSpecification } from "./lifecycle-hooks.ts";
import { WarmPoolConfiguration } from "./warm-pool-configuration.ts";

/* An Auto Scaling group's and its instances' shapes, declared once for both doors and the services. */

const GroupFields = {
  launchTemplate: Type.Optional(LaunchTemplateSpec),
  minSize: Type.Optional(Type.Integer({ minimum: 0 })),
  maxSize: Type.Optional(Type.Integer({ minimum: 0 })),
  desiredCapacity: Type.Optional(Type.Integer({ minimum: 0 })),
  healthCheckType: Type.Optional(StringEnum(["EC2", "ELB"])),
  healthCheckGracePeriod: Type.Optional(Type.Integer({ minimum: 0 })),
  defaultCooldown: Type.Optional(Type.Integer({ minimum: 0 })),
  defaultInstanceWarmup: Type.Optional(Type.Integer({ minimum: 0 })),
  terminationPolicies: Type.Optional(Type.Array(Type.String())),
  newInstancesProtectedFromScaleIn: Type.Optional(Type.Boolean()),
  availabilityZones: Type.Optional(Type.Array(Type.String())),
  vpcZoneIdentifier: Type.Optional(Type.String()),
};

/** A group's tag: PropagateAtLaunch marks the tags its instances are to carry (AWS's default: false). */
export const CreateGroupTag = Type.Object(
  {
    key: Type.String({ maxLength: 128 }),
    value: Type.Optional(Type.String({ maxLength: 256 })),
    propagateAtLaunch: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const CreateGroup = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    ...GroupFields,
    launchTemplate: LaunchTemplateSpec,
    minSize: Type.Integer({ minimum: 0 }),
    maxSize: Type.Integer({ minimum: 0 }),
    targetGroupARNs: Type.Optional(Type.Array(Type.String())),
    tags: Type.Optional(Type.Array(CreateGroupTag, { maxItems: 50 })),
    lifecycleHookSpecificationList: Type.Optional(Type.Array(LifecycleHookSpecification, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type CreateGroup = Static<typeof CreateGroup>;

export const UpdateGroup = Type.Object(GroupFields, { additionalProperties: false });
export type UpdateGroup = Static<typeof UpdateGroup>;

/** An instance as its group lists it (AWS's Instance). */
export const InstanceSummary = Type.Object({
  instanceId: Type.String(),
  availabilityZone: Type.String(),
  lifecycleState: Type.String(),
  healthStatus: Type.String(),
  launchTemplate: LaunchTemplateRef,
  protectedFromScaleIn: Type.Boolean(),
  instanceType: Type.String(),
});
export type InstanceSummary = Static<typeof InstanceSummary>;

export const Instance = Type.Object(
  {
    ...InstanceSummary.properties,
    autoScalingGroupName: Type.String(),
    privateIpAddress: Type.Optional(
      Type.String({
        description:
          "scaleout: the address the instance answers on (loopback for the process and docker drivers, its node's for swarm)",
      }),
    ),
    port: Type.Optional(Type.Integer({ description: "scaleout: the port the instance answers on" })),
    launchTime: Timestamp(),
  },
  { $id: "Instance" },
);
export type Instance = Static<typeof Instance>;

export const SuspendedProcess = Type.Object({
  processName: Type.String(),
  suspensionReason: Type.String(),
});
export const EnabledMetric = Type.Object({ metric: Type.String(), granularity: Type.String() });

/** A group's tag as both doors describe it (AWS's TagDescription). */
export const GroupTagDescription = Type.Object({
  resourceId: Type.String(),
  resourceType: Type.String(),
  key: Type.String(),
  value: Type.String(),
  propagateAtLaunch: Type.Boolean(),
});

/** Where a group's instances take traffic from: its target groups, type elbv2. */
export const TrafficSource = Type.Object({ identifier: Type.String(), type: Type.String() });

export const AutoScalingGroup = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    autoScalingGroupARN: Type.String(),
    launchTemplate: LaunchTemplateRef,
    minSize: Type.Integer(),
    maxSize: Type.Integer(),
    desiredCapacity: Type.Integer(),
    defaultCooldown: Type.Integer(),
    availabilityZones: Type.Array(Type.String()),
    loadBalancerNames: Type.Array(Type.String()),
    targetGroupARNs: Type.Array(Type.String()),
    healthCheckType: Type.String(),
    healthCheckGracePeriod: Type.Integer(),
    instances: Type.Array(InstanceSummary),
    createdTime: Timestamp(),
    suspendedProcesses: Type.Array(SuspendedProcess),
    vpcZoneIdentifier: Type.String(),
    enabledMetrics: Type.Array(EnabledMetric),
    terminationPolicies: Type.Array(Type.String()),
    newInstancesProtectedFromScaleIn: Type.Boolean(),
    defaultInstanceWarmup: Type.Optional(Type.Integer()),
    status: Type.Optional(Type.String()),
    tags: Type.Array(GroupTagDescription),
    trafficSources: Type.Array(TrafficSource),
    warmPoolConfiguration: Type.Optional(WarmPoolConfiguration),
    warmPoolSize: Type.Optional(Type.Integer({ description: "Instances in the warm pool" })),
  },
  { $id: "AutoScalingGroup" },
);
export type AutoScalingGroup = Static<typeof AutoScalingGroup>;
