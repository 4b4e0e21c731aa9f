import type {
  EnabledMetric,
  StepAdjustment,
  SuspendedProcess,
  TargetTrackingConfiguration,
} from "@scaleout/core";
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { targetGroups } from "./elb.ts";

/* EC2 Auto Scaling: launch templates, groups, their instances, activities and policies. */

export const launchTemplates = sqliteTable("launch_templates", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  defaultVersion: integer("default_version").notNull(),
  latestVersion: integer("latest_version").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const launchTemplateVersions = sqliteTable(
  "launch_template_versions",
  {
    templateId: text("template_id")
      .notNull()
      .references(() => launchTemplates.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    description: text("description"),
    image: text("image"),
    command: text("command", { mode: "json" }).$type<string[]>(),
    environment: text("environment", { mode: "json" }).$type<Record<string, string>>().notNull(),
    containerPort: integer("container_port"),
    cpu: real("cpu"),
    memoryMiB: integer("memory_mib"),
    networkMode: text("network_mode").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.version] })],
);

export const autoScalingGroups = sqliteTable("auto_scaling_groups", {
  name: text("name").primaryKey(),
  arn: text("arn").notNull().unique(),
  launchTemplateId: text("launch_template_id")
    .notNull()
    .references(() => launchTemplates.id, { onDelete: "restrict" }),
  /** "$Latest", "$Default" or a version number. */
  launchTemplateVersion: text("launch_template_version").notNull(),
  minSize: integer("min_size").notNull(),
  maxSize: integer("max_size").notNull(),
  desiredCapacity: integer("desired_capacity").notNull(),
  healthCheckType: text("health_check_type").notNull(),
  healthCheckGracePeriod: integer("health_check_grace_period").notNull(),
  defaultCooldown: integer("default_cooldown").notNull(),
  defaultInstanceWarmup: integer("default_instance_warmup"),
  terminationPolicies: text("termination_policies", { mode: "json" }).$type<string[]>().notNull(),
  newInstancesProtectedFromScaleIn: integer("new_instances_protected", { mode: "boolean" }).notNull(),
  /** "Delete in progress" once a forced delete has begun. */
  status: text("status"),
  /**
   * Why the desired capacity last changed, as the first sentence of AWS's activity cause ("At ... a user
   * request explicitly set group desired capacity changing the desired capacity from 1 to 3."). The
   * reconciler starts each launch or termination activity's cause with it.
   */
  capacityCause: text("capacity_cause"),
  /** End of the last scaling activity that changed capacity: cooldowns count from here. */
  lastScalingEndedAt: integer("last_scaling_ended_at"),
  /**
   * SuspendProcesses: each suspended process (Launch, Terminate, HealthCheck, ...; core's
   * scalingProcesses) with the reason DescribeAutoScalingGroups shows. Empty: nothing suspended.
   */
  suspendedProcesses: text("suspended_processes", { mode: "json" })
    .$type<SuspendedProcess[]>()
    .notNull()
    .default(sql`'[]'`),
  /** EnableMetricsCollection: the AWS/AutoScaling group metrics published, with their granularity. */
  enabledMetrics: text("enabled_metrics", { mode: "json" })
    .$type<EnabledMetric[]>()
    .notNull()
    .default(sql`'[]'`),
  createdAt: integer("created_at").notNull(),
});

export const groupTargetGroups = sqliteTable(
  "group_target_groups",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    targetGroupArn: text("target_group_arn")
      .notNull()
      .references(() => targetGroups.arn, { onDelete: "restrict" }),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.targetGroupArn] })],
);

export const instances = sqliteTable(
  "instances",
  {
    id: text("id").primaryKey(),
    /** Not a foreign key: an instance outlives its group's row until the worker has terminated it. */
    groupName: text("group_name").notNull(),
    lifecycleState: text("lifecycle_state").notNull(),
    healthStatus: text("health_status").notNull(),
    launchTemplateId: text("launch_template_id").notNull(),
    launchTemplateName: text("launch_template_name").notNull(),
    launchTemplateVersion: integer("launch_template_version").notNull(),
    availabilityZone: text("availability_zone").notNull(),
    protectedFromScaleIn: integer("protected_from_scale_in", { mode: "boolean" }).notNull(),
    /** docker | process */
    driver: text("driver"),
    /** Container id or process id. */
    driverRef: text("driver_ref"),
    address: text("address"),
    port: integer("port"),
    launchedAt: integer("launched_at").notNull(),
    inServiceAt: integer("in_service_at"),
    terminatingAt: integer("terminating_at"),
    /**
     * The loopback port of this instance's instance-metadata service (IMDS), given to the instance as
     * AWS_EC2_METADATA_SERVICE_ENDPOINT; the port identifies the instance, as the link-local address does
     * on EC2. Null until the worker has allocated it.
     */
    metadataPort: integer("metadata_port"),
    /**
     * EnterStandby's ShouldDecrementDesiredCapacity, or DetachInstances': whether ExitStandby / the
     * end of the move gives the capacity back. Null when the instance is not entering or in standby.
     */
    decrementedDesired: integer("decremented_desired", { mode: "boolean" }),
    /** Warm pool instances: the pool state it is prepared for (Stopped, Running, Hibernated); else null. */
    warmPoolState: text("warm_pool_state"),
    /** The instance refresh that launched this instance as a replacement (rollbacks find them). */
    refreshId: text("refresh_id"),
    /**
     * Went InService while AddToLoadBalancer was suspended: not registered then, and not later when the
     * process resumes either (AWS: "you must register those instances manually").
     */
    registrationSkipped: integer("registration_skipped", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("instances_group").on(t.groupName)],
);

export const scalingActivities = sqliteTable(
  "scaling_activities",
  {
    id: text("id").primaryKey(),
    groupName: text("group_name").notNull(),
    description: text("description").notNull(),
    cause: text("cause").notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, string>>().notNull(),
    statusCode: text("status_code").notNull(),
    statusMessage: text("status_message"),
    progress: integer("progress").notNull(),
    startTime: integer("start_time").notNull(),
    endTime: integer("end_time"),
  },
  (t) => [index("scaling_activities_group_start").on(t.groupName, t.startTime)],
);

export const scalingPolicies = sqliteTable(
  "scaling_policies",
  {
    arn: text("arn").primaryKey(),
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    policyType: text("policy_type").notNull(),
    adjustmentType: text("adjustment_type"),
    scalingAdjustment: integer("scaling_adjustment"),
    minAdjustmentMagnitude: integer("min_adjustment_magnitude"),
    cooldown: integer("cooldown"),
    metricAggregationType: text("metric_aggregation_type"),
    stepAdjustments: text("step_adjustments", { mode: "json" }).$type<StepAdjustment[]>(),
    estimatedInstanceWarmup: integer("estimated_instance_warmup"),
    targetTrackingConfiguration: text("target_tracking_configuration", {
      mode: "json",
    }).$type<TargetTrackingConfiguration>(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("scaling_policies_group_name").on(t.groupName, t.name)],
);
