import { Type } from "@sinclair/typebox";
import { StringEnum, Tags } from "./common.ts";

const LaunchTemplateSpec = Type.Object(
  {
    launchTemplateId: Type.Optional(Type.String()),
    launchTemplateName: Type.Optional(Type.String()),
    version: Type.Optional(
      Type.String({ description: 'A version number, "$Latest" or "$Default" (default)' }),
    ),
  },
  { additionalProperties: false },
);

export const LaunchTemplateFields = {
  image: Type.Optional(
    Type.String({
      description: "Container image (docker driver); without it the process driver runs the command",
    }),
  ),
  command: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  environment: Type.Optional(Type.Record(Type.String(), Type.String())),
  containerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  cpu: Type.Optional(Type.Number({ description: "CPU limit in cores" })),
  memoryMiB: Type.Optional(Type.Integer()),
  networkMode: Type.Optional(StringEnum(["host", "bridge"])),
};

export const CreateLaunchTemplate = Type.Object(
  {
    launchTemplateName: Type.String(),
    versionDescription: Type.Optional(Type.String()),
    ...LaunchTemplateFields,
  },
  { additionalProperties: false },
);

export const LaunchTemplate = Type.Object(
  {
    launchTemplateId: Type.String(),
    launchTemplateName: Type.String(),
    createTime: Type.String({ format: "date-time" }),
    createdBy: Type.String(),
    defaultVersionNumber: Type.Integer(),
    latestVersionNumber: Type.Integer(),
    versionDescription: Type.Optional(Type.String()),
    image: Type.Optional(Type.String()),
    command: Type.Optional(Type.Array(Type.String())),
    environment: Type.Record(Type.String(), Type.String()),
    containerPort: Type.Optional(Type.Integer()),
    cpu: Type.Optional(Type.Number()),
    memoryMiB: Type.Optional(Type.Integer()),
    networkMode: Type.String(),
  },
  { $id: "LaunchTemplate" },
);

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

export const CreateGroup = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    ...GroupFields,
    launchTemplate: LaunchTemplateSpec,
    minSize: Type.Integer({ minimum: 0 }),
    maxSize: Type.Integer({ minimum: 0 }),
    targetGroupARNs: Type.Optional(Type.Array(Type.String())),
    tags: Tags,
  },
  { additionalProperties: false },
);

export const UpdateGroup = Type.Object(GroupFields, { additionalProperties: false });

const InstanceSummary = {
  instanceId: Type.String(),
  availabilityZone: Type.String(),
  lifecycleState: Type.String(),
  healthStatus: Type.String(),
  launchTemplate: Type.Object({
    launchTemplateId: Type.String(),
    launchTemplateName: Type.String(),
    version: Type.String(),
  }),
  protectedFromScaleIn: Type.Boolean(),
  instanceType: Type.String(),
};

export const Instance = Type.Object(
  {
    ...InstanceSummary,
    autoScalingGroupName: Type.String(),
    privateIpAddress: Type.Optional(
      Type.String({ description: "scaleout: the loopback address the instance answers on" }),
    ),
    port: Type.Optional(Type.Integer({ description: "scaleout: the port the instance answers on" })),
    launchTime: Type.String({ format: "date-time" }),
  },
  { $id: "Instance" },
);

export const AutoScalingGroup = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    autoScalingGroupARN: Type.String(),
    launchTemplate: Type.Object({
      launchTemplateId: Type.String(),
      launchTemplateName: Type.String(),
      version: Type.String(),
    }),
    minSize: Type.Integer(),
    maxSize: Type.Integer(),
    desiredCapacity: Type.Integer(),
    defaultCooldown: Type.Integer(),
    availabilityZones: Type.Array(Type.String()),
    loadBalancerNames: Type.Array(Type.String()),
    targetGroupARNs: Type.Array(Type.String()),
    healthCheckType: Type.String(),
    healthCheckGracePeriod: Type.Integer(),
    instances: Type.Array(Type.Object(InstanceSummary)),
    createdTime: Type.String({ format: "date-time" }),
    suspendedProcesses: Type.Array(Type.Unknown()),
    vpcZoneIdentifier: Type.String(),
    enabledMetrics: Type.Array(Type.Unknown()),
    terminationPolicies: Type.Array(Type.String()),
    newInstancesProtectedFromScaleIn: Type.Boolean(),
    defaultInstanceWarmup: Type.Optional(Type.Integer()),
    status: Type.Optional(Type.String()),
  },
  { $id: "AutoScalingGroup" },
);

export const Activity = Type.Object(
  {
    activityId: Type.String(),
    autoScalingGroupName: Type.String(),
    description: Type.String(),
    cause: Type.String(),
    startTime: Type.String({ format: "date-time" }),
    endTime: Type.Optional(Type.String({ format: "date-time" })),
    statusCode: Type.String(),
    statusMessage: Type.Optional(Type.String()),
    progress: Type.Integer(),
    details: Type.String(),
  },
  { $id: "Activity" },
);

const StepAdjustment = Type.Object(
  {
    metricIntervalLowerBound: Type.Optional(Type.Number()),
    metricIntervalUpperBound: Type.Optional(Type.Number()),
    scalingAdjustment: Type.Integer(),
  },
  { additionalProperties: false },
);

const TargetTrackingConfiguration = Type.Object(
  {
    predefinedMetricSpecification: Type.Optional(
      Type.Object(
        {
          predefinedMetricType: StringEnum([
            "ASGAverageCPUUtilization",
            "ASGAverageNetworkIn",
            "ASGAverageNetworkOut",
            "ALBRequestCountPerTarget",
          ]),
          resourceLabel: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    customizedMetricSpecification: Type.Optional(
      Type.Object(
        {
          metricName: Type.String(),
          namespace: Type.String(),
          dimensions: Type.Optional(
            Type.Array(
              Type.Object({ name: Type.String(), value: Type.String() }, { additionalProperties: false }),
            ),
          ),
          statistic: StringEnum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"]),
          unit: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    targetValue: Type.Number(),
    disableScaleIn: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PutPolicy = Type.Object(
  {
    policyName: Type.String(),
    policyType: Type.Optional(
      Type.String({ description: "SimpleScaling (default), StepScaling or TargetTrackingScaling" }),
    ),
    adjustmentType: Type.Optional(Type.String()),
    scalingAdjustment: Type.Optional(Type.Integer()),
    minAdjustmentMagnitude: Type.Optional(Type.Integer()),
    cooldown: Type.Optional(Type.Integer()),
    metricAggregationType: Type.Optional(Type.String()),
    stepAdjustments: Type.Optional(Type.Array(StepAdjustment)),
    estimatedInstanceWarmup: Type.Optional(Type.Integer()),
    targetTrackingConfiguration: Type.Optional(TargetTrackingConfiguration),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ScalingPolicy = Type.Object(
  {
    autoScalingGroupName: Type.String(),
    policyName: Type.String(),
    policyARN: Type.String(),
    policyType: Type.String(),
    adjustmentType: Type.Optional(Type.String()),
    minAdjustmentMagnitude: Type.Optional(Type.Integer()),
    scalingAdjustment: Type.Optional(Type.Integer()),
    cooldown: Type.Optional(Type.Integer()),
    stepAdjustments: Type.Optional(Type.Array(StepAdjustment)),
    metricAggregationType: Type.Optional(Type.String()),
    estimatedInstanceWarmup: Type.Optional(Type.Integer()),
    alarms: Type.Array(Type.Object({ alarmName: Type.String(), alarmARN: Type.String() })),
    targetTrackingConfiguration: Type.Optional(TargetTrackingConfiguration),
    enabled: Type.Boolean(),
  },
  { $id: "ScalingPolicy" },
);

export const ExecutePolicy = Type.Object(
  {
    honorCooldown: Type.Optional(Type.Boolean()),
    metricValue: Type.Optional(Type.Number()),
    breachThreshold: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

export const PolicyExecution = Type.Object({
  changed: Type.Boolean(),
  from: Type.Integer({ description: "Desired capacity before" }),
  to: Type.Integer({ description: "Desired capacity after" }),
  skipped: Type.Optional(Type.String({ description: "Why nothing changed" })),
});
