import type { TargetHealth } from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { prepared } from "./statements.ts";

/*
 * Targets as DescribeTargetHealth shows them: what the proxy stored, and what follows from configuration
 * alone (a target group no load balancer uses, disabled health checks), in AWS's reasons.
 */

const { actionTargetGroups, targetGroups, targets } = schema;
type Row = typeof targetGroups.$inferSelect;

export interface TargetDescription {
  id: string;
  port?: number;
  availabilityZone?: string;
}

export interface TargetHealthDescription {
  target: { id: string; port: number; availabilityZone?: string };
  healthCheckPort: string;
  targetHealth: TargetHealth;
}

/** Every reason and description DescribeTargetHealth reports, in AWS's words. */
export const healthReasons = {
  registrationInProgress: {
    reason: "Elb.RegistrationInProgress",
    description: "Target registration is in progress",
  },
  initialHealthChecking: {
    reason: "Elb.InitialHealthChecking",
    description: "Initial health checks in progress",
  },
  responseCodeMismatch: (code: number) => ({
    reason: "Target.ResponseCodeMismatch",
    description: `Health checks failed with these codes: [${code}]`,
  }),
  timeout: { reason: "Target.Timeout", description: "Request timed out" },
  failedHealthChecks: { reason: "Target.FailedHealthChecks", description: "Health checks failed" },
  notRegistered: {
    reason: "Target.NotRegistered",
    description: "Target is not registered to the target group",
  },
  notInUse: {
    reason: "Target.NotInUse",
    description: "Target group is not configured to receive traffic from the load balancer",
  },
  deregistrationInProgress: {
    reason: "Target.DeregistrationInProgress",
    description: "Target deregistration is in progress",
  },
  healthCheckDisabled: { reason: "Target.HealthCheckDisabled", description: "Health checks are disabled" },
} as const;

/** The load balancers whose listeners or rules forward to each target group. */
export function loadBalancersOf(db: Db | Tx, targetGroupArns: string[]): Map<string, string[]> {
  const result = new Map<string, string[]>(targetGroupArns.map((arn) => [arn, []]));
  if (targetGroupArns.length === 0) return result;
  const columns = { tg: actionTargetGroups.targetGroupArn, lb: actionTargetGroups.loadBalancerArn };
  const [only] = targetGroupArns;
  const rows =
    targetGroupArns.length === 1 && only !== undefined
      ? prepared(db, "loadBalancersOfOne", (d) =>
          d
            .selectDistinct(columns)
            .from(actionTargetGroups)
            .where(eq(actionTargetGroups.targetGroupArn, sql.placeholder("arn")))
            .prepare(),
        ).all({ arn: only })
      : db
          .selectDistinct(columns)
          .from(actionTargetGroups)
          .where(inArray(actionTargetGroups.targetGroupArn, targetGroupArns))
          .all();
  for (const row of rows) result.get(row.tg)?.push(row.lb);
  return result;
}

/**
 * The DescribeTargetHealth view of stored rows. The proxy writes initial/healthy/unhealthy and the
 * reasons; what follows from configuration alone is derived here: a group no load balancer uses
 * reports `unused`, disabled health checks `unavailable`, and a draining target whose delay has run
 * out is already gone.
 */
export function describeTargetHealth(
  db: Db | Tx,
  group: Row,
  now: number,
  only?: TargetDescription[],
): TargetHealthDescription[] {
  const inUse = (loadBalancersOf(db, [group.arn]).get(group.arn) ?? []).length > 0;
  const rows = prepared(db, "targetsOfGroup", (d) =>
    d
      .select()
      .from(targets)
      .where(eq(targets.targetGroupArn, sql.placeholder("arn")))
      .orderBy(asc(targets.registeredAt))
      .prepare(),
  ).all({ arn: group.arn });
  const live = rows.filter((r) => r.drainDeadline === null || r.drainDeadline > now);
  const describe = (row: (typeof rows)[number]): TargetHealthDescription => {
    let health: TargetHealth;
    if (row.state === "draining") health = { state: "draining", ...healthReasons.deregistrationInProgress };
    else if (!inUse) health = { state: "unused", ...healthReasons.notInUse };
    else if (!group.healthCheck.healthCheckEnabled)
      health = { state: "unavailable", ...healthReasons.healthCheckDisabled };
    else if (row.state === "healthy") health = { state: "healthy" };
    else {
      health = {
        state: row.state as TargetHealth["state"],
        ...(row.reason !== null && { reason: row.reason }),
        ...(row.description !== null && { description: row.description }),
      };
    }
    return {
      target: {
        id: row.targetId,
        port: row.port,
        ...(row.availabilityZone !== null && { availabilityZone: row.availabilityZone }),
      },
      healthCheckPort:
        group.healthCheck.healthCheckPort === "traffic-port"
          ? String(row.port)
          : group.healthCheck.healthCheckPort,
      targetHealth: health,
    };
  };
  if (only === undefined) return live.map(describe);
  return only.map((target) => {
    const port = target.port ?? group.port;
    const row = live.find((r) => r.targetId === target.id && r.port === port);
    return row
      ? describe(row)
      : {
          target: { id: target.id, port },
          healthCheckPort:
            group.healthCheck.healthCheckPort === "traffic-port"
              ? String(port)
              : group.healthCheck.healthCheckPort,
          targetHealth: { state: "unused", ...healthReasons.notRegistered },
        };
  });
}
