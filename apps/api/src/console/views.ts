import type { Action, Page, RuleCondition } from "@scaleout/core";
import type { Services } from "@scaleout/services";
import type { CapacityHistory } from "./capacity-history.ts";
import { collectedCapacity } from "./capacity-metrics.ts";
import type {
  AlarmView,
  GroupDetailView,
  GroupSummaryView,
  GroupsView,
  ListenerView,
  RuleView,
  TargetGroupView,
  TopologyView,
} from "./view-types.ts";

/*
 * The console's page data, read straight from the services in one pass (no HTTP round trip per listener
 * or target group): a topology of 50 load balancers and 500 targets is one snapshot, not 150 requests.
 */

/** Every page of a paged list (400 a page, the services' largest). */
export function everything<T>(list: (options: { pageSize: number; nextToken?: string }) => Page<T>): T[] {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = list({ pageSize: 400, ...(nextToken !== undefined && { nextToken }) });
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return items;
}

const describeCondition = (condition: RuleCondition): string => {
  const values =
    condition.values ??
    condition.pathPatternConfig?.values ??
    condition.hostHeaderConfig?.values ??
    condition.httpRequestMethodConfig?.values ??
    condition.sourceIpConfig?.values ??
    condition.httpHeaderConfig?.values ??
    condition.queryStringConfig?.values.map((pair) => `${pair.key ?? ""}=${pair.value}`) ??
    [];
  return `${condition.field} ${values.join(", ")}`;
};

function describeRule(
  priority: string,
  conditions: RuleCondition[],
  actions: Action[],
  names: Map<string, string>,
): RuleView {
  const forwardsTo: string[] = [];
  let action = "";
  for (const a of actions) {
    const arns = a.forwardConfig?.targetGroups.map((t) => t.targetGroupArn) ?? [];
    if (a.targetGroupArn !== undefined) arns.push(a.targetGroupArn);
    for (const arn of new Set(arns)) forwardsTo.push(names.get(arn) ?? arn);
    if (a.type === "redirect") action = `redirect to ${a.redirectConfig?.host ?? "#{host}"}`;
    if (a.type === "fixed-response") action = `fixed response ${a.fixedResponseConfig?.statusCode ?? ""}`;
  }
  return {
    priority,
    conditions: conditions.length ? conditions.map(describeCondition).join("; ") : "any request",
    forwardsTo,
    action: action || (forwardsTo.length ? "forward" : "none"),
  };
}

export function topologyView(services: Services): TopologyView {
  const targetGroups = everything((o) => services.targetGroups.list(o));
  const names = new Map(targetGroups.map((tg) => [tg.targetGroupArn, tg.targetGroupName]));
  const loadBalancers = everything((o) => services.loadBalancers.list(o)).map((lb) => {
    const listeners: ListenerView[] = everything((o) =>
      services.listeners.list({ loadBalancerName: lb.loadBalancerName, ...o }),
    ).map((listener) => ({
      arn: listener.listenerArn,
      protocol: listener.protocol,
      port: listener.port,
      rules: everything((o) => services.rules.list({ listenerId: listener.listenerArn, ...o })).map((rule) =>
        describeRule(rule.priority, rule.conditions, rule.actions, names),
      ),
    }));
    return {
      name: lb.loadBalancerName,
      dnsName: lb.dnsName,
      state: lb.state.code,
      ...(lb.state.reason !== undefined && { stateReason: lb.state.reason }),
      listeners,
    };
  });
  const groups: TargetGroupView[] = targetGroups.map((tg) => ({
    name: tg.targetGroupName,
    arn: tg.targetGroupArn,
    protocol: tg.protocol,
    port: tg.port,
    healthCheckPath: tg.healthCheckPath,
    targets: services.targetGroups.health(tg.targetGroupName).map((t) => ({
      id: t.target.id,
      port: t.target.port,
      state: t.targetHealth.state,
      ...(t.targetHealth.reason !== undefined && { reason: t.targetHealth.reason }),
      ...(t.targetHealth.description !== undefined && { description: t.targetHealth.description }),
    })),
  }));
  return { kind: "topology", loadBalancers, targetGroups: groups };
}

type Group = ReturnType<Services["groups"]["get"]>;

export function summarize(group: Group): GroupSummaryView {
  const count = (states: string[]) => group.instances.filter((i) => states.includes(i.lifecycleState)).length;
  return {
    name: group.autoScalingGroupName,
    desired: group.desiredCapacity,
    min: group.minSize,
    max: group.maxSize,
    inService: count(["InService"]),
    pending: count(["Pending", "Pending:Wait", "Pending:Proceed"]),
  };
}

export function groupsView(services: Services): GroupsView {
  return { kind: "groups", groups: everything((o) => services.groups.list(o)).map(summarize) };
}

/** The alarms watching a group's metrics (their dimensions name the group). */
export function alarmViews(services: Services, only?: (dimensions: string) => boolean): AlarmView[] {
  return everything((o) => services.alarms.list(o))
    .map((alarm) => {
      const dimensions = alarm.dimensions.map((d) => `${d.name}=${d.value}`).join(", ");
      return { alarm, dimensions };
    })
    .filter(({ dimensions }) => only?.(dimensions) ?? true)
    .map(({ alarm, dimensions }) => ({
      name: alarm.alarmName,
      state: alarm.stateValue,
      reason: alarm.stateReason,
      metricName: alarm.metricName,
      namespace: alarm.namespace,
      dimensions,
      threshold: alarm.threshold,
      comparison: alarm.comparisonOperator,
      history: services.alarms
        .history(alarm.alarmName, { historyItemType: "StateUpdate", pageSize: 10 })
        .items.map((h) => ({ timestamp: h.timestamp, summary: h.historySummary })),
    }));
}

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => (list && list.length > 0 ? list : undefined);

export function groupDetailView(services: Services, name: string, history: CapacityHistory): GroupDetailView {
  const group = services.groups.get(name);
  return {
    kind: "group",
    group: summarize(group),
    instances: group.instances.map((i) => ({
      id: i.instanceId,
      lifecycleState: i.lifecycleState,
      healthStatus: i.healthStatus,
      templateVersion: i.launchTemplate.version,
      protectedFromScaleIn: i.protectedFromScaleIn,
    })),
    activities: services.groups.activities(name, { pageSize: 25 }).items.map((a) => ({
      id: a.activityId,
      status: a.statusCode,
      description: a.description,
      cause: a.cause,
      startTime: a.startTime,
      ...(a.endTime !== undefined && { endTime: a.endTime }),
    })),
    // The group's published metrics when it has them (they survive an api restart), else this api's samples.
    history:
      nonEmpty(collectedCapacity(services, name, group.enabledMetrics, Date.now())) ?? history.of(name),
    alarms: alarmViews(services, (dimensions) => dimensions.includes(`AutoScalingGroupName=${name}`)),
  };
}
