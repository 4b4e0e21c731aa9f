import type {
  Action,
  EnabledMetric,
  HealthCheckSettings,
  MetricDimension,
  RuleCondition,
  StepAdjustment,
  SuspendedProcess,
  TargetTrackingConfiguration,
} from "@scaleout/core";
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The registry. Times are Unix milliseconds unless a column says seconds. Documents that AWS treats as
 * one value (actions, conditions, attributes) are JSON; everything the registry must enforce (names,
 * ports, priorities, what uses a target group) is a column with a constraint, so a race between two
 * api processes ends in a constraint error, never in corrupt state.
 */

/** One row: the version every committed configuration change increments. */
export const configVersion = sqliteTable("config_version", {
  id: integer("id").primaryKey(),
  version: integer("version").notNull(),
});

export const loadBalancers = sqliteTable("load_balancers", {
  arn: text("arn").primaryKey(),
  name: text("name").notNull().unique(),
  dnsName: text("dns_name").notNull(),
  scheme: text("scheme").notNull(),
  type: text("type").notNull(),
  ipAddressType: text("ip_address_type").notNull(),
  state: text("state").notNull(),
  /** Why the state is what it is (active_impaired: which listener cannot bind and why); the proxy writes it. */
  stateReason: text("state_reason"),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>().notNull(),
  createdAt: integer("created_at").notNull(),
});

export const listeners = sqliteTable(
  "listeners",
  {
    arn: text("arn").primaryKey(),
    loadBalancerArn: text("load_balancer_arn")
      .notNull()
      .references(() => loadBalancers.arn, { onDelete: "cascade" }),
    protocol: text("protocol").notNull(),
    port: integer("port").notNull(),
    sslPolicy: text("ssl_policy"),
    certificates: text("certificates", { mode: "json" }).$type<Array<{ certificateArn: string }>>(),
    defaultActions: text("default_actions", { mode: "json" }).$type<Action[]>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  // Every listener binds the same host here, so a port is unique across load balancers, not only within one.
  (t) => [
    uniqueIndex("listeners_port_unique").on(t.port),
    index("listeners_load_balancer").on(t.loadBalancerArn),
  ],
);

/**
 * Certificates as AWS Certificate Manager holds them: imported (PEM certificate, key and chain) or issued by
 * scaleout's local certificate authority (RequestCertificate). Re-importing to an ARN rotates the material
 * in place. The private key is a column because a rotation must replace certificate and key in one
 * transaction; the database file is owner-only, and no API ever returns the key.
 */
export const certificates = sqliteTable("certificates", {
  arn: text("arn").primaryKey(),
  domainName: text("domain_name").notNull(),
  subjectAlternativeNames: text("subject_alternative_names", { mode: "json" }).$type<string[]>().notNull(),
  /** IMPORTED or AMAZON_ISSUED (issued by the local certificate authority). */
  type: text("type").notNull(),
  /** ISSUED, EXPIRED, ... as ACM names them. */
  status: text("status").notNull(),
  /** ACM's KeyAlgorithm: RSA_2048, EC_prime256v1, ... */
  keyAlgorithm: text("key_algorithm").notNull(),
  serial: text("serial").notNull(),
  subject: text("subject").notNull(),
  issuer: text("issuer").notNull(),
  notBefore: integer("not_before").notNull(),
  notAfter: integer("not_after").notNull(),
  certificatePem: text("certificate_pem").notNull(),
  chainPem: text("chain_pem"),
  privateKeyPem: text("private_key_pem").notNull(),
  /** RequestCertificate's options and idempotency token, as JSON (null when imported). */
  request: text("request", { mode: "json" }).$type<Record<string, unknown>>(),
  createdAt: integer("created_at").notNull(),
  /** When the material was last imported (ImportedAt); null for issued certificates. */
  importedAt: integer("imported_at"),
  /** When the local authority issued it (IssuedAt); null for imported certificates. */
  issuedAt: integer("issued_at"),
});

/**
 * The certificates of HTTPS (and later TLS) listeners: the default one (`isDefault`) and the SNI certificates
 * added by AddListenerCertificates. The foreign key to a certificate restricts, so deleting a certificate
 * in use fails in the database (ACM's ResourceInUseException), as a target group in use does.
 */
export const listenerCertificates = sqliteTable(
  "listener_certificates",
  {
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    certificateArn: text("certificate_arn")
      .notNull()
      .references(() => certificates.arn, { onDelete: "restrict" }),
    isDefault: integer("is_default", { mode: "boolean" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.listenerArn, t.certificateArn] }),
    index("listener_certificates_certificate").on(t.certificateArn),
  ],
);

export const rules = sqliteTable(
  "rules",
  {
    arn: text("arn").primaryKey(),
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    /** Null for the listener's default rule. */
    priority: integer("priority"),
    conditions: text("conditions", { mode: "json" }).$type<RuleCondition[]>().notNull(),
    actions: text("actions", { mode: "json" }).$type<Action[]>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("rules_listener_priority").on(t.listenerArn, t.priority)],
);

export const targetGroups = sqliteTable("target_groups", {
  arn: text("arn").primaryKey(),
  name: text("name").notNull().unique(),
  protocol: text("protocol").notNull(),
  protocolVersion: text("protocol_version").notNull(),
  port: integer("port").notNull(),
  targetType: text("target_type").notNull(),
  vpcId: text("vpc_id").notNull(),
  healthCheck: text("health_check", { mode: "json" }).$type<HealthCheckSettings>().notNull(),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>().notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * Which listener or rule forwards to which target group: kept beside the action JSON so that deleting a
 * target group in use fails on the foreign key (ResourceInUse) and "load balancers of a target group"
 * is a join, not a scan.
 */
export const actionTargetGroups = sqliteTable(
  "action_target_groups",
  {
    ownerArn: text("owner_arn").notNull(),
    listenerArn: text("listener_arn")
      .notNull()
      .references(() => listeners.arn, { onDelete: "cascade" }),
    loadBalancerArn: text("load_balancer_arn").notNull(),
    targetGroupArn: text("target_group_arn")
      .notNull()
      .references(() => targetGroups.arn, { onDelete: "restrict" }),
  },
  (t) => [
    primaryKey({ columns: [t.ownerArn, t.targetGroupArn] }),
    index("action_target_groups_tg").on(t.targetGroupArn),
  ],
);

export const targets = sqliteTable(
  "targets",
  {
    targetGroupArn: text("target_group_arn")
      .notNull()
      .references(() => targetGroups.arn, { onDelete: "cascade" }),
    targetId: text("target_id").notNull(),
    port: integer("port").notNull(),
    availabilityZone: text("availability_zone"),
    /** initial | healthy | unhealthy | draining (unused and unavailable are derived when read). */
    state: text("state").notNull(),
    reason: text("reason"),
    description: text("description"),
    registeredAt: integer("registered_at").notNull(),
    /** Set on deregistration: the target drains until this time at the latest. */
    drainDeadline: integer("drain_deadline"),
    /**
     * When its in-flight requests finished: deregistration is complete (its instance may stop), but the
     * target shows `draining` until drainDeadline, as AWS shows it.
     */
    drainedAt: integer("drained_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.targetGroupArn, t.targetId, t.port] })],
);

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

/** PutLifecycleHook: a pause on launch or termination of a group's instances. */
export const lifecycleHooks = sqliteTable(
  "lifecycle_hooks",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** autoscaling:EC2_INSTANCE_LAUNCHING | autoscaling:EC2_INSTANCE_TERMINATING */
    transition: text("transition").notNull(),
    notificationTargetArn: text("notification_target_arn"),
    roleArn: text("role_arn"),
    notificationMetadata: text("notification_metadata"),
    heartbeatTimeout: integer("heartbeat_timeout").notNull(),
    globalTimeout: integer("global_timeout").notNull(),
    /** CONTINUE | ABANDON */
    defaultResult: text("default_result").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.name] })],
);

/**
 * One instance waiting on one hook (Pending:Wait or Terminating:Wait); the row goes when the action
 * completes. `token` is the LifecycleActionToken.
 */
export const lifecycleActions = sqliteTable(
  "lifecycle_actions",
  {
    token: text("token").primaryKey(),
    instanceId: text("instance_id").notNull(),
    groupName: text("group_name").notNull(),
    hookName: text("hook_name").notNull(),
    transition: text("transition").notNull(),
    startedAt: integer("started_at").notNull(),
    /** Heartbeat deadline: RecordLifecycleActionHeartbeat moves it; past it, DefaultResult applies. */
    heartbeatDeadline: integer("heartbeat_deadline").notNull(),
    /** startedAt + the hook's global timeout: no heartbeat extends past it. */
    globalDeadline: integer("global_deadline").notNull(),
    /** CONTINUE | ABANDON once completed (or timed out), until the worker has acted on it. */
    result: text("result"),
  },
  (t) => [
    index("lifecycle_actions_instance").on(t.instanceId),
    uniqueIndex("lifecycle_actions_instance_hook").on(t.instanceId, t.hookName, t.transition),
  ],
);

/** PutScheduledUpdateGroupAction: a one-time or recurring change of min, max and desired. */
export const scheduledActions = sqliteTable(
  "scheduled_actions",
  {
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    name: text("name").notNull(),
    arn: text("arn").notNull().unique(),
    startTime: integer("start_time"),
    endTime: integer("end_time"),
    /** Unix cron (five fields), evaluated in `timeZone`. */
    recurrence: text("recurrence"),
    timeZone: text("time_zone"),
    minSize: integer("min_size"),
    maxSize: integer("max_size"),
    desiredCapacity: integer("desired_capacity"),
    /** When it fires next; null once a one-time action has run or a recurrence has passed its end. */
    nextRunAt: integer("next_run_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.name] }), index("scheduled_actions_next").on(t.nextRunAt)],
);

/** PutWarmPool: instances prepared ahead of scale-out, one pool a group. */
export const warmPools = sqliteTable("warm_pools", {
  groupName: text("group_name")
    .primaryKey()
    .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
  minSize: integer("min_size").notNull(),
  /** Null: the group's MaxSize (AWS's -1 / unset). */
  maxGroupPreparedCapacity: integer("max_group_prepared_capacity"),
  /** Stopped | Running | Hibernated */
  poolState: text("pool_state").notNull(),
  reuseOnScaleIn: integer("reuse_on_scale_in", { mode: "boolean" }).notNull(),
  /** Null, or PendingDelete while DeleteWarmPool empties it. */
  status: text("status"),
  createdAt: integer("created_at").notNull(),
});

/**
 * StartInstanceRefresh. `preferences` and `desiredConfiguration` are the request's (camelCase); the
 * refresh's own progress (batches, checkpoints, what rollback restores) lives in `state`.
 */
export const instanceRefreshes = sqliteTable(
  "instance_refreshes",
  {
    id: text("id").primaryKey(),
    groupName: text("group_name")
      .notNull()
      .references(() => autoScalingGroups.name, { onDelete: "cascade" }),
    /** Pending | InProgress | Successful | Failed | Cancelling | Cancelled | RollbackInProgress | RollbackFailed | RollbackSuccessful | Baking */
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    strategy: text("strategy").notNull(),
    preferences: text("preferences", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    desiredConfiguration: text("desired_configuration", { mode: "json" }).$type<Record<string, unknown>>(),
    percentageComplete: integer("percentage_complete").notNull(),
    instancesToUpdate: integer("instances_to_update").notNull(),
    state: text("state", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    startTime: integer("start_time"),
    endTime: integer("end_time"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("instance_refreshes_group").on(t.groupName, t.createdAt)],
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

export const alarms = sqliteTable("alarms", {
  name: text("name").primaryKey(),
  arn: text("arn").notNull(),
  description: text("description"),
  actionsEnabled: integer("actions_enabled", { mode: "boolean" }).notNull(),
  okActions: text("ok_actions", { mode: "json" }).$type<string[]>().notNull(),
  alarmActions: text("alarm_actions", { mode: "json" }).$type<string[]>().notNull(),
  insufficientDataActions: text("insufficient_data_actions", { mode: "json" }).$type<string[]>().notNull(),
  namespace: text("namespace").notNull(),
  metricName: text("metric_name").notNull(),
  dimensions: text("dimensions", { mode: "json" }).$type<MetricDimension[]>().notNull(),
  statistic: text("statistic").notNull(),
  period: integer("period").notNull(),
  unit: text("unit"),
  evaluationPeriods: integer("evaluation_periods").notNull(),
  datapointsToAlarm: integer("datapoints_to_alarm").notNull(),
  threshold: real("threshold").notNull(),
  comparisonOperator: text("comparison_operator").notNull(),
  treatMissingData: text("treat_missing_data").notNull(),
  stateValue: text("state_value").notNull(),
  stateReason: text("state_reason").notNull(),
  stateReasonData: text("state_reason_data"),
  stateUpdatedAt: integer("state_updated_at").notNull(),
  stateTransitionedAt: integer("state_transitioned_at").notNull(),
  configurationUpdatedAt: integer("configuration_updated_at").notNull(),
  /** The target tracking policy that owns this alarm; such alarms are created and deleted with it. */
  ownerPolicyArn: text("owner_policy_arn"),
  /** When the alarm's actions last ran: an alarm that stays in ALARM re-invokes Auto Scaling actions. */
  lastActionAt: integer("last_action_at"),
});

export const alarmHistory = sqliteTable(
  "alarm_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    alarmName: text("alarm_name").notNull(),
    timestamp: integer("timestamp").notNull(),
    historyItemType: text("history_item_type").notNull(),
    historySummary: text("history_summary").notNull(),
    historyData: text("history_data").notNull(),
  },
  (t) => [index("alarm_history_alarm_time").on(t.alarmName, t.timestamp)],
);

export const metrics = sqliteTable(
  "metrics",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespace: text("namespace").notNull(),
    metricName: text("metric_name").notNull(),
    dimensionsKey: text("dimensions_key").notNull(),
    dimensions: text("dimensions", { mode: "json" }).$type<MetricDimension[]>().notNull(),
    unit: text("unit"),
    lastTimestamp: integer("last_timestamp").notNull().default(sql`0`),
  },
  (t) => [uniqueIndex("metrics_identity").on(t.namespace, t.metricName, t.dimensionsKey)],
);

/** Per-second statistic sets; writes to the same second merge. `timestamp` is Unix seconds. */
export const datapoints = sqliteTable(
  "datapoints",
  {
    metricId: integer("metric_id")
      .notNull()
      .references(() => metrics.id, { onDelete: "cascade" }),
    timestamp: integer("timestamp").notNull(),
    sampleCount: real("sample_count").notNull(),
    sum: real("sum").notNull(),
    minimum: real("minimum").notNull(),
    maximum: real("maximum").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricId, t.timestamp] })],
);

export const tags = sqliteTable(
  "tags",
  {
    resourceArn: text("resource_arn").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceArn, t.key] })],
);
