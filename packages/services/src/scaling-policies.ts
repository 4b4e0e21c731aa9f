import {
  type AdjustmentType,
  adjustedCapacity,
  arns,
  check,
  checkPageSize,
  clamp,
  decodeToken,
  Errors,
  encodeToken,
  findStep,
  type MetricDimension,
  normalizePolicy,
  type Page,
  type PolicyInput,
  parseResourceLabel,
  type TargetTrackingConfiguration,
  targetTrackingAlarmShape,
  targetTrackingCapacity,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray, ne, sql } from "drizzle-orm";
import { upsertAlarmRow } from "./alarms.ts";
import { isoSeconds, mutate, type ServiceContext } from "./context.ts";
import { changeDesiredCapacity, inCooldown } from "./group-capacity.ts";
import { findGroup, groupInstances } from "./group-view.ts";
import type { ScalingPolicy } from "./shapes/policies.ts";

const { scalingPolicies, alarms, targetGroups, loadBalancers } = schema;
type PolicyRow = typeof scalingPolicies.$inferSelect;
type GroupRow = typeof schema.autoScalingGroups.$inferSelect;

/** The alarms whose actions name a policy, or that it owns (target tracking). */
function alarmsOf(db: Db | Tx, policyArn: string): Array<{ alarmName: string; alarmARN: string }> {
  return db
    .select({ alarmName: alarms.name, alarmARN: alarms.arn })
    .from(alarms)
    .where(
      sql`${alarms.ownerPolicyArn} = ${policyArn} or exists (select 1 from json_each(${alarms.alarmActions}) where value = ${policyArn}) or exists (select 1 from json_each(${alarms.okActions}) where value = ${policyArn})`,
    )
    .orderBy(asc(alarms.name))
    .all();
}

export function toPolicy(db: Db | Tx, row: PolicyRow): ScalingPolicy {
  return {
    autoScalingGroupName: row.groupName,
    policyName: row.name,
    policyARN: row.arn,
    policyType: row.policyType,
    ...(row.adjustmentType !== null && { adjustmentType: row.adjustmentType }),
    ...(row.minAdjustmentMagnitude !== null && { minAdjustmentMagnitude: row.minAdjustmentMagnitude }),
    ...(row.scalingAdjustment !== null && { scalingAdjustment: row.scalingAdjustment }),
    ...(row.cooldown !== null && { cooldown: row.cooldown }),
    ...(row.stepAdjustments !== null && { stepAdjustments: row.stepAdjustments }),
    ...(row.metricAggregationType !== null && { metricAggregationType: row.metricAggregationType }),
    ...(row.estimatedInstanceWarmup !== null && { estimatedInstanceWarmup: row.estimatedInstanceWarmup }),
    alarms: alarmsOf(db, row.arn),
    ...(row.targetTrackingConfiguration !== null && {
      targetTrackingConfiguration: row.targetTrackingConfiguration,
    }),
    enabled: row.enabled,
  };
}

export function findPolicy(db: Db | Tx, groupName: string, policyName: string): PolicyRow {
  const row = db
    .select()
    .from(scalingPolicies)
    .where(and(eq(scalingPolicies.groupName, groupName), eq(scalingPolicies.name, policyName)))
    .get();
  if (!row)
    throw new Errors.ScalingPolicyNotFound(
      `Scaling policy '${policyName}' not found for group '${groupName}'`,
    );
  return row;
}

/** The metric a target tracking configuration follows, as an alarm would name it. */
function trackedMetric(
  db: Db | Tx,
  group: string,
  config: TargetTrackingConfiguration,
): {
  namespace: string;
  metricName: string;
  dimensions: MetricDimension[];
  statistic: string;
  unit?: string;
} {
  const custom = config.customizedMetricSpecification;
  if (custom) {
    return {
      namespace: custom.namespace,
      metricName: custom.metricName,
      dimensions: custom.dimensions ?? [],
      statistic: custom.statistic,
      unit: custom.unit,
    };
  }
  const predefined = config.predefinedMetricSpecification;
  const byGroup = [{ name: "AutoScalingGroupName", value: group }];
  switch (predefined?.predefinedMetricType) {
    case "ALBRequestCountPerTarget": {
      const label = parseResourceLabel(predefined.resourceLabel ?? "");
      check(label !== undefined, "ResourceLabel is not valid");
      const tgSuffix = `:${label.targetGroup}`;
      const lbSuffix = `:loadbalancer/${label.loadBalancer}`;
      const tg = db
        .select({ arn: targetGroups.arn })
        .from(targetGroups)
        .where(sql`${targetGroups.arn} like ${`%${tgSuffix}`}`)
        .get();
      const lb = db
        .select({ arn: loadBalancers.arn })
        .from(loadBalancers)
        .where(sql`${loadBalancers.arn} like ${`%${lbSuffix}`}`)
        .get();
      check(
        tg !== undefined && lb !== undefined,
        `ResourceLabel '${predefined.resourceLabel}' does not name an existing load balancer and target group`,
      );
      return {
        namespace: "AWS/ApplicationELB",
        metricName: "RequestCountPerTarget",
        dimensions: [{ name: "TargetGroup", value: label.targetGroup }],
        statistic: "Sum",
        unit: "Count",
      };
    }
    case "ASGAverageNetworkIn":
      return {
        namespace: "AWS/EC2",
        metricName: "NetworkIn",
        dimensions: byGroup,
        statistic: "Average",
        unit: "Bytes",
      };
    case "ASGAverageNetworkOut":
      return {
        namespace: "AWS/EC2",
        metricName: "NetworkOut",
        dimensions: byGroup,
        statistic: "Average",
        unit: "Bytes",
      };
    default:
      return {
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        dimensions: byGroup,
        statistic: "Average",
        unit: "Percent",
      };
  }
}

/** Creates or updates the high and low alarms a target tracking policy owns. */
function syncTargetTrackingAlarms(
  ctx: ServiceContext,
  tx: Tx,
  policy: PolicyRow,
  config: TargetTrackingConfiguration,
): void {
  const owned = tx.select().from(alarms).where(eq(alarms.ownerPolicyArn, policy.arn)).all();
  const metric = trackedMetric(tx, policy.groupName, config);
  const shape = targetTrackingAlarmShape(ctx.limits.fast);
  const suffix = policy.arn.split(":")[6] ?? "";
  const description = `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policy.arn}.`;
  const wanted = [
    {
      name:
        owned.find((a) => a.name.includes("-AlarmHigh-"))?.name ??
        `TargetTracking-${policy.groupName}-AlarmHigh-${suffix}`,
      comparisonOperator: "GreaterThanThreshold" as const,
      threshold: config.targetValue,
      ...shape.high,
    },
    ...(config.disableScaleIn
      ? []
      : [
          {
            name:
              owned.find((a) => a.name.includes("-AlarmLow-"))?.name ??
              `TargetTracking-${policy.groupName}-AlarmLow-${suffix}`,
            comparisonOperator: "LessThanThreshold" as const,
            threshold: config.targetValue * shape.low.thresholdRatio,
            period: shape.low.period,
            evaluationPeriods: shape.low.evaluationPeriods,
          },
        ]),
  ];
  for (const alarm of owned) {
    if (!wanted.some((w) => w.name === alarm.name))
      tx.delete(alarms).where(eq(alarms.name, alarm.name)).run();
  }
  for (const alarm of wanted) {
    upsertAlarmRow(ctx, tx, {
      alarmName: alarm.name,
      alarmDescription: description,
      actionsEnabled: true,
      okActions: [],
      alarmActions: [policy.arn],
      insufficientDataActions: [],
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: metric.dimensions,
      statistic: metric.statistic as "Average",
      period: alarm.period,
      unit: metric.unit,
      evaluationPeriods: alarm.evaluationPeriods,
      datapointsToAlarm: alarm.evaluationPeriods,
      threshold: alarm.threshold,
      comparisonOperator: alarm.comparisonOperator,
      treatMissingData: "missing",
      ownerPolicyArn: policy.arn,
    });
  }
}

/** What started a policy: an alarm's action or a user's ExecutePolicy. */
export interface PolicyTrigger {
  alarmName?: string;
  alarmState?: string;
  metricValue?: number;
  breachThreshold?: number;
  honorCooldown: boolean;
}

export interface PolicyOutcome {
  changed: boolean;
  from: number;
  to: number;
  /** Why nothing changed, when nothing did. */
  skipped?: string;
}

/** Instances launched within the warm-up: they do not yet count toward capacity for step and target tracking. */
function warmingCount(tx: Tx, group: GroupRow, warmupSeconds: number, now: number): number {
  return groupInstances(tx, group.name).filter(
    (i) => i.lifecycleState !== "Terminating" && (i.inServiceAt ?? i.launchedAt) + warmupSeconds * 1000 > now,
  ).length;
}

/**
 * Runs a policy against its group inside the caller's transaction: the arithmetic of its type, the
 * cooldown (simple) or warm-up (step, target tracking), clamping to min and max, and the cause in AWS's
 * words. Shared by ExecutePolicy and by the worker's alarm actions.
 */
export function applyPolicy(
  ctx: ServiceContext,
  tx: Tx,
  announce: Parameters<Parameters<typeof mutate>[1]>[1],
  policy: PolicyRow,
  trigger: PolicyTrigger,
): PolicyOutcome {
  const group = findGroup(tx, policy.groupName);
  const from = group.desiredCapacity;
  const skip = (skipped: string): PolicyOutcome => ({ changed: false, from, to: from, skipped });
  if (!policy.enabled) return skip("the policy is disabled");
  if (group.status !== null) return skip("the group is being deleted");
  const now = ctx.now();
  const warmup = policy.estimatedInstanceWarmup ?? group.defaultInstanceWarmup ?? group.defaultCooldown;
  let to: number;
  switch (policy.policyType) {
    case "SimpleScaling": {
      if (trigger.honorCooldown && inCooldown(tx, group, policy.cooldown ?? group.defaultCooldown, now)) {
        return skip("a scaling activity is in progress or the cooldown has not expired");
      }
      to = adjustedCapacity(
        from,
        policy.adjustmentType as AdjustmentType,
        policy.scalingAdjustment ?? 0,
        policy.minAdjustmentMagnitude ?? undefined,
      );
      break;
    }
    case "StepScaling": {
      if (trigger.metricValue === undefined || trigger.breachThreshold === undefined) {
        throw new Errors.ValidationError(
          "MetricValue and BreachThreshold are required to execute a StepScaling policy",
        );
      }
      const step = findStep(policy.stepAdjustments ?? [], trigger.metricValue, trigger.breachThreshold);
      if (!step) return skip("no step adjustment covers the metric value");
      const type = policy.adjustmentType as AdjustmentType;
      if (step.scalingAdjustment > 0 && type !== "ExactCapacity") {
        // During warm-up only the difference to the scale-out already under way is added.
        const base = from - warmingCount(tx, group, warmup, now);
        to = Math.max(
          from,
          adjustedCapacity(base, type, step.scalingAdjustment, policy.minAdjustmentMagnitude ?? undefined),
        );
      } else
        to = adjustedCapacity(from, type, step.scalingAdjustment, policy.minAdjustmentMagnitude ?? undefined);
      break;
    }
    case "TargetTrackingScaling": {
      const config = policy.targetTrackingConfiguration;
      if (!config || trigger.metricValue === undefined || trigger.alarmName === undefined) {
        throw new Errors.ValidationError(
          "A TargetTrackingScaling policy runs only from its own alarms: it cannot be executed",
        );
      }
      const alarm = tx.select().from(alarms).where(eq(alarms.name, trigger.alarmName)).get();
      const scaleOut = alarm?.comparisonOperator.startsWith("Greater") ?? true;
      if (scaleOut) {
        // Warming instances already count toward the desired capacity but not yet toward the metric, so
        // the capacity the metric asks for is computed from the instances in service.
        const inService = from - warmingCount(tx, group, warmup, now);
        if (inService <= 0) return skip("every instance is still warming up");
        to = Math.max(from, targetTrackingCapacity(inService, trigger.metricValue, config.targetValue));
      } else {
        if (config.disableScaleIn) return skip("scale-in is disabled for this policy");
        // Several target tracking policies: scale in only when every one of them agrees (its low alarm is in ALARM).
        const others = tx
          .select()
          .from(scalingPolicies)
          .where(
            and(
              eq(scalingPolicies.groupName, group.name),
              eq(scalingPolicies.policyType, "TargetTrackingScaling"),
              ne(scalingPolicies.arn, policy.arn),
            ),
          )
          .all();
        for (const other of others) {
          const low = tx
            .select()
            .from(alarms)
            .where(and(eq(alarms.ownerPolicyArn, other.arn), sql`${alarms.name} like '%-AlarmLow-%'`))
            .get();
          if (low?.stateValue !== "ALARM") return skip(`policy ${other.name} does not agree to scale in`);
        }
        to = Math.min(from, targetTrackingCapacity(from, trigger.metricValue, config.targetValue));
      }
      break;
    }
    default:
      return skip(`policy type ${policy.policyType} cannot be executed`);
  }
  to = clamp(to, group);
  const at = isoSeconds(now);
  const changed = changeDesiredCapacity(tx, announce, group, to, (f, t) =>
    trigger.alarmName !== undefined
      ? `At ${at} a monitor alarm ${trigger.alarmName} in state ${trigger.alarmState ?? "ALARM"} triggered policy ${policy.name} changing the desired capacity from ${f} to ${t}.`
      : `At ${at} a user request executed policy ${policy.name} changing the desired capacity from ${f} to ${t}.`,
  );
  return { changed, from, to };
}

export function scalingPolicyService(ctx: ServiceContext) {
  return {
    /** PutScalingPolicy: creates or replaces a group's policy by name. */
    put(groupName: string, input: PolicyInput): { policy: ScalingPolicy; created: boolean } {
      const settings = normalizePolicy(input);
      const name = input.policyName ?? "";
      return mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const existing = tx
          .select()
          .from(scalingPolicies)
          .where(and(eq(scalingPolicies.groupName, group.name), eq(scalingPolicies.name, name)))
          .get();
        const row: PolicyRow = {
          arn: existing?.arn ?? arns.scalingPolicy(ctx.partition, group.name, name),
          groupName: group.name,
          name,
          policyType: settings.policyType,
          adjustmentType: settings.adjustmentType ?? null,
          scalingAdjustment: settings.scalingAdjustment ?? null,
          minAdjustmentMagnitude: settings.minAdjustmentMagnitude ?? null,
          cooldown: settings.cooldown ?? null,
          metricAggregationType: settings.metricAggregationType ?? null,
          stepAdjustments: settings.stepAdjustments ?? null,
          estimatedInstanceWarmup: settings.estimatedInstanceWarmup ?? null,
          targetTrackingConfiguration: settings.targetTrackingConfiguration ?? null,
          enabled: settings.enabled,
          createdAt: existing?.createdAt ?? ctx.now(),
        };
        if (existing) tx.update(scalingPolicies).set(row).where(eq(scalingPolicies.arn, row.arn)).run();
        else tx.insert(scalingPolicies).values(row).run();
        if (row.targetTrackingConfiguration)
          syncTargetTrackingAlarms(ctx, tx, row, row.targetTrackingConfiguration);
        else tx.delete(alarms).where(eq(alarms.ownerPolicyArn, row.arn)).run();
        return { policy: toPolicy(tx, row), created: existing === undefined };
      });
    },

    list(
      options: {
        groupName?: string;
        policyNames?: string[];
        policyTypes?: string[];
        pageSize?: number;
        nextToken?: string;
      } = {},
    ): Page<ScalingPolicy> {
      const pageSize = checkPageSize(options.pageSize);
      if (options.groupName !== undefined) findGroup(ctx.db, options.groupName);
      const after = decodeToken(options.nextToken);
      const rows = ctx.db
        .select()
        .from(scalingPolicies)
        .where(
          and(
            options.groupName === undefined ? undefined : eq(scalingPolicies.groupName, options.groupName),
            options.policyNames?.length
              ? sql`(${inArray(scalingPolicies.name, options.policyNames)} or ${inArray(scalingPolicies.arn, options.policyNames)})`
              : undefined,
            options.policyTypes?.length
              ? inArray(scalingPolicies.policyType, options.policyTypes)
              : undefined,
            after === undefined ? undefined : gt(scalingPolicies.arn, after),
          ),
        )
        .orderBy(asc(scalingPolicies.arn))
        .limit(pageSize + 1)
        .all();
      const last = rows[pageSize - 1];
      return {
        items: rows.slice(0, pageSize).map((r) => toPolicy(ctx.db, r)),
        ...(rows.length > pageSize && last && { nextToken: encodeToken(last.arn) }),
      };
    },

    get(groupName: string, policyName: string): ScalingPolicy {
      findGroup(ctx.db, groupName);
      return toPolicy(ctx.db, findPolicy(ctx.db, groupName, policyName));
    },

    /** DeletePolicy: a target tracking policy's alarms go with it; other alarms keep their (now dangling) actions, as in AWS. */
    delete(groupName: string, policyName: string): void {
      mutate(ctx, (tx) => {
        const group = findGroup(tx, groupName);
        const row = policyName.startsWith("arn:")
          ? tx.select().from(scalingPolicies).where(eq(scalingPolicies.arn, policyName)).get()
          : findPolicy(tx, group.name, policyName);
        if (!row) throw new Errors.ScalingPolicyNotFound(`Scaling policy '${policyName}' not found`);
        tx.delete(alarms).where(eq(alarms.ownerPolicyArn, row.arn)).run();
        tx.delete(scalingPolicies).where(eq(scalingPolicies.arn, row.arn)).run();
      });
    },

    /** ExecutePolicy. Simple scaling honours the cooldown only when asked (HonorCooldown). */
    execute(
      groupName: string,
      policyName: string,
      input: { honorCooldown?: boolean; metricValue?: number; breachThreshold?: number } = {},
    ): PolicyOutcome {
      return mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        const policy = policyName.startsWith("arn:")
          ? tx.select().from(scalingPolicies).where(eq(scalingPolicies.arn, policyName)).get()
          : findPolicy(tx, group.name, policyName);
        if (!policy) throw new Errors.ScalingPolicyNotFound(`Scaling policy '${policyName}' not found`);
        if (policy.policyType === "TargetTrackingScaling") {
          throw new Errors.ValidationError(
            "A TargetTrackingScaling policy cannot be executed: it runs from the alarms it owns",
          );
        }
        if (policy.policyType === "StepScaling") {
          check(input.metricValue !== undefined, "MetricValue is required for StepScaling policies");
          check(input.breachThreshold !== undefined, "BreachThreshold is required for StepScaling policies");
        }
        const outcome = applyPolicy(ctx, tx, announce, policy, {
          honorCooldown: input.honorCooldown ?? false,
          metricValue: input.metricValue,
          breachThreshold: input.breachThreshold,
        });
        if (
          outcome.skipped &&
          input.honorCooldown &&
          policy.policyType === "SimpleScaling" &&
          outcome.skipped.includes("cooldown")
        ) {
          throw new Errors.ScalingActivityInProgress(
            "Scaling activity is in progress or the group is in its cooldown period",
          );
        }
        return outcome;
      });
    },

    /** The worker's entry: an alarm action naming this policy ARN. Unknown ARNs are skipped, as AWS skips them. */
    runFromAlarm(
      policyArn: string,
      trigger: Omit<PolicyTrigger, "honorCooldown">,
    ): PolicyOutcome | undefined {
      return mutate(ctx, (tx, announce) => {
        const policy = tx.select().from(scalingPolicies).where(eq(scalingPolicies.arn, policyArn)).get();
        if (!policy) return undefined;
        return applyPolicy(ctx, tx, announce, policy, { ...trigger, honorCooldown: true });
      });
    },
  };
}

export type ScalingPolicyService = ReturnType<typeof scalingPolicyService>;
