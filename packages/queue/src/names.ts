/** Queue names: one per kind of job the worker runs. */
export const QueueName = {
  collectMetrics: "collect-metrics",
  evaluateAlarms: "evaluate-alarms",
  executePolicy: "execute-policy",
  reconcileGroup: "reconcile-group",
  runScheduledActions: "run-scheduled-actions",
  cfnStacks: "cfn-stacks",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** The pub/sub channel on which the api announces each committed configuration version. */
export const configChannel = "scaleout:config-version";

export interface ReconcileGroupJob {
  groupName: string;
  /** Why it was asked for, for logs: "desired capacity changed", "resync", ... */
  reason: string;
}

export interface ExecutePolicyJob {
  policyArn: string;
  /** Set when an alarm invokes the policy. */
  alarmName?: string;
  alarmState?: string;
  /** The metric value and threshold the alarm saw, for step scaling. */
  metricValue?: number;
  breachThreshold?: number;
  /** ISO time the alarm entered its state, for the activity's cause. */
  triggeredAt: string;
}

/** An EventBridge-shaped event to publish; the publisher adds version, id, account, region and time. */
export interface PublishedEvent {
  "detail-type": string;
  source: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The Redis stream of published events (`GET /v1/events` follows it), and how many it keeps. */
export const eventStreamKey = (prefix: string): string => `${prefix}:events`;
export const eventStreamMaxLength = 10_000;

export type CollectMetricsJob = Record<string, never>;
export type EvaluateAlarmsJob = Record<string, never>;
export type RunScheduledActionsJob = Record<string, never>;
/** A stack operation to carry out; an empty stackId asks for a look for stacks in progress. */
export interface CfnStackJob {
  stackId: string;
}

export interface JobPayloads {
  [QueueName.collectMetrics]: CollectMetricsJob;
  [QueueName.evaluateAlarms]: EvaluateAlarmsJob;
  [QueueName.executePolicy]: ExecutePolicyJob;
  [QueueName.reconcileGroup]: ReconcileGroupJob;
  [QueueName.runScheduledActions]: RunScheduledActionsJob;
  [QueueName.cfnStacks]: CfnStackJob;
}
