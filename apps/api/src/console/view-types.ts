/*
 * What the console's server-sent events carry: one snapshot of a page's data, built on the server from the
 * services (views.ts) and rendered by the browser (apps/console). Types only, so that the browser bundle
 * can import them without pulling in any of the api.
 */

export interface TargetView {
  id: string;
  port: number;
  state: string;
  reason?: string;
  description?: string;
}

export interface TargetGroupView {
  name: string;
  arn: string;
  protocol: string;
  port: number;
  healthCheckPath?: string;
  targets: TargetView[];
}

export interface RuleView {
  priority: string;
  conditions: string;
  /** The target groups the rule forwards to (names), or what it does otherwise. */
  forwardsTo: string[];
  action: string;
}

export interface ListenerView {
  arn: string;
  protocol: string;
  port: number;
  rules: RuleView[];
}

export interface LoadBalancerView {
  name: string;
  dnsName: string;
  state: string;
  stateReason?: string;
  listeners: ListenerView[];
}

export interface TopologyView {
  kind: "topology";
  loadBalancers: LoadBalancerView[];
  /** Every target group by name, those of no load balancer too. */
  targetGroups: TargetGroupView[];
}

export interface GroupSummaryView {
  name: string;
  desired: number;
  min: number;
  max: number;
  inService: number;
  pending: number;
}

export interface InstanceView {
  id: string;
  lifecycleState: string;
  healthStatus: string;
  templateVersion: string;
  protectedFromScaleIn: boolean;
}

export interface ActivityView {
  id: string;
  status: string;
  description: string;
  cause: string;
  startTime: string;
  endTime?: string;
}

/** One sample of a group's counts: [epoch seconds, desired, in service, pending]. */
export type CapacitySample = [number, number, number, number];

export interface GroupDetailView {
  kind: "group";
  group: GroupSummaryView;
  instances: InstanceView[];
  activities: ActivityView[];
  /** Sampled by this api process while it runs (console/capacity-history.ts), oldest first. */
  history: CapacitySample[];
  alarms: AlarmView[];
}

export interface GroupsView {
  kind: "groups";
  groups: GroupSummaryView[];
}

export interface AlarmHistoryView {
  timestamp: string;
  summary: string;
}

export interface AlarmView {
  name: string;
  state: string;
  reason: string;
  metricName: string;
  namespace: string;
  dimensions: string;
  threshold: number;
  comparison: string;
  history: AlarmHistoryView[];
}

/** One line of a chart: its label and a value per timestamp of the chart (null where none). */
export interface SeriesView {
  label: string;
  values: Array<number | null>;
}

export interface ChartView {
  title: string;
  unit: string;
  /** Epoch seconds, shared by every series of the chart. */
  times: number[];
  series: SeriesView[];
  /** An alarm's threshold drawn across the chart. */
  threshold?: { alarm: string; value: number; state: string };
}

export interface MetricsView {
  kind: "metrics";
  charts: ChartView[];
  alarms: AlarmView[];
}

export type ConsoleView = TopologyView | GroupsView | GroupDetailView | MetricsView;
