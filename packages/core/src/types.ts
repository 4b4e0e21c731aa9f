/**
 * The domain shapes of scaleout: AWS's member names in camelCase. Stored documents (actions, conditions,
 * attributes) are kept in these shapes so the api, proxy and worker read one vocabulary.
 */

export interface Tag {
  key: string;
  value?: string;
}

export interface Attribute {
  key: string;
  value: string;
}

// ---- Listener rules -------------------------------------------------------------------------------

export type ConditionField =
  | "path-pattern"
  | "host-header"
  | "http-header"
  | "http-request-method"
  | "query-string"
  | "source-ip";

export interface QueryStringPair {
  key?: string;
  value: string;
}

export interface RuleCondition {
  field: ConditionField;
  values?: string[];
  hostHeaderConfig?: { values: string[] };
  pathPatternConfig?: { values: string[] };
  httpHeaderConfig?: { httpHeaderName: string; values: string[] };
  httpRequestMethodConfig?: { values: string[] };
  queryStringConfig?: { values: QueryStringPair[] };
  sourceIpConfig?: { values: string[] };
}

export interface TargetGroupTuple {
  targetGroupArn: string;
  weight?: number;
}

export interface ForwardConfig {
  targetGroups: TargetGroupTuple[];
  targetGroupStickinessConfig?: { enabled: boolean; durationSeconds?: number };
}

export interface RedirectConfig {
  protocol?: string;
  port?: string;
  host?: string;
  path?: string;
  query?: string;
  statusCode: "HTTP_301" | "HTTP_302";
}

export interface FixedResponseConfig {
  statusCode: string;
  contentType?: string;
  messageBody?: string;
}

export type ActionType = "forward" | "redirect" | "fixed-response";

export interface Action {
  type: ActionType;
  order?: number;
  targetGroupArn?: string;
  forwardConfig?: ForwardConfig;
  redirectConfig?: RedirectConfig;
  fixedResponseConfig?: FixedResponseConfig;
}

// ---- Target groups --------------------------------------------------------------------------------

export interface HealthCheckSettings {
  healthCheckEnabled: boolean;
  /** TCP for Network Load Balancer target groups only (a connect); the view hides path and matcher then. */
  healthCheckProtocol: "HTTP" | "HTTPS" | "TCP";
  healthCheckPort: string;
  healthCheckPath: string;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  matcher: { httpCode: string };
}

export type TargetHealthState = "initial" | "healthy" | "unhealthy" | "unused" | "draining" | "unavailable";

export interface TargetHealth {
  state: TargetHealthState;
  reason?: string;
  description?: string;
}

// ---- Auto Scaling ---------------------------------------------------------------------------------

export interface StepAdjustment {
  metricIntervalLowerBound?: number;
  metricIntervalUpperBound?: number;
  scalingAdjustment: number;
}

export type AdjustmentType = "ChangeInCapacity" | "ExactCapacity" | "PercentChangeInCapacity";
export type PolicyType = "SimpleScaling" | "StepScaling" | "TargetTrackingScaling";
export type PredefinedMetricType =
  | "ASGAverageCPUUtilization"
  | "ASGAverageNetworkIn"
  | "ASGAverageNetworkOut"
  | "ALBRequestCountPerTarget";

export interface MetricDimension {
  name: string;
  value: string;
}

export interface TargetTrackingConfiguration {
  predefinedMetricSpecification?: { predefinedMetricType: PredefinedMetricType; resourceLabel?: string };
  customizedMetricSpecification?: {
    metricName: string;
    namespace: string;
    dimensions?: MetricDimension[];
    statistic: Statistic;
    unit?: string;
  };
  targetValue: number;
  disableScaleIn?: boolean;
}

/** Every lifecycle state of an Auto Scaling instance (botocore's LifecycleState), warm pool ones too. */
export type LifecycleState =
  | "Pending"
  | "Pending:Wait"
  | "Pending:Proceed"
  | "Quarantined"
  | "InService"
  | "Terminating"
  | "Terminating:Wait"
  | "Terminating:Proceed"
  | "Terminated"
  | "Detaching"
  | "Detached"
  | "EnteringStandby"
  | "Standby"
  | "Warmed:Pending"
  | "Warmed:Pending:Wait"
  | "Warmed:Pending:Proceed"
  | "Warmed:Terminating"
  | "Warmed:Terminating:Wait"
  | "Warmed:Terminating:Proceed"
  | "Warmed:Terminated"
  | "Warmed:Stopped"
  | "Warmed:Running"
  | "Warmed:Hibernated";

/** A suspended scaling process of a group, as DescribeAutoScalingGroups lists it. */
export interface SuspendedProcess {
  processName: string;
  suspensionReason: string;
}

/** A group metric EnableMetricsCollection turned on. */
export interface EnabledMetric {
  metric: string;
  granularity: string;
}
export type ActivityStatus =
  | "PendingSpotBidPlacement"
  | "WaitingForSpotInstanceRequestId"
  | "WaitingForSpotInstanceId"
  | "WaitingForInstanceId"
  | "PreInService"
  | "InProgress"
  | "WaitingForELBConnectionDraining"
  | "MidLifecycleAction"
  | "WaitingForInstanceWarmup"
  | "Successful"
  | "Failed"
  | "Cancelled";

// ---- CloudWatch -----------------------------------------------------------------------------------

export type Statistic = "SampleCount" | "Average" | "Sum" | "Minimum" | "Maximum";
export type ComparisonOperator =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";
export type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** One aggregated datapoint: the statistic set CloudWatch stores. */
export interface StatisticSet {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}
