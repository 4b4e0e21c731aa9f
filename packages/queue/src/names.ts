/** Queue names: one per kind of job the worker runs. */
export const QueueName = {
  collectMetrics: "collect-metrics",
  evaluateAlarms: "evaluate-alarms",
  executePolicy: "execute-policy",
  reconcileGroup: "reconcile-group",
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

export type CollectMetricsJob = Record<string, never>;
export type EvaluateAlarmsJob = Record<string, never>;

export interface JobPayloads {
  [QueueName.collectMetrics]: CollectMetricsJob;
  [QueueName.evaluateAlarms]: EvaluateAlarmsJob;
  [QueueName.executePolicy]: ExecutePolicyJob;
  [QueueName.reconcileGroup]: ReconcileGroupJob;
}
