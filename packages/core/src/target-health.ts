/**
 * ALB's target health state machine, as a pure function of a target's counters and one check's result.
 * The proxy's health checker keeps the counters and writes the transitions it answers.
 */

export type HealthCheckResult =
  | { ok: true; status: number }
  | { ok: false; reason: string; description: string };

export interface HealthCounters {
  state: string;
  reason: string | null;
  description: string | null;
  consecutivePasses: number;
  consecutiveFails: number;
}

export interface HealthThresholds {
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
}

export interface HealthTransition {
  state: "initial" | "healthy" | "unhealthy";
  reason: string | null;
  description: string | null;
}

export interface HealthStep {
  consecutivePasses: number;
  consecutiveFails: number;
  /** Set when the check changed what DescribeTargetHealth reports. */
  transition: HealthTransition | undefined;
}

export const initialHealthChecking = {
  reason: "Elb.InitialHealthChecking",
  description: "Initial health checks in progress",
} as const;

/**
 * A new target is healthy after one passing check; a healthy one turns unhealthy after
 * `unhealthyThresholdCount` failures in a row; an unhealthy one needs `healthyThresholdCount` passes in a
 * row. A new target failing its first checks stays `initial` with AWS's "initial health checks in progress".
 */
export function nextHealth(
  target: HealthCounters,
  result: HealthCheckResult,
  thresholds: HealthThresholds,
): HealthStep {
  if (result.ok) {
    const passes = target.consecutivePasses + 1;
    const needed = target.state === "initial" ? 1 : thresholds.healthyThresholdCount;
    const transition =
      target.state !== "healthy" && passes >= needed
        ? { state: "healthy" as const, reason: null, description: null }
        : undefined;
    return { consecutivePasses: passes, consecutiveFails: 0, transition };
  }
  const fails = target.consecutiveFails + 1;
  const step = (transition: HealthTransition | undefined): HealthStep => ({
    consecutivePasses: 0,
    consecutiveFails: fails,
    transition,
  });
  if (target.state === "unhealthy") {
    // Already unhealthy: keep the latest reason current without counting a transition.
    const changed = target.reason !== result.reason || target.description !== result.description;
    return step(
      changed ? { state: "unhealthy", reason: result.reason, description: result.description } : undefined,
    );
  }
  if (fails >= thresholds.unhealthyThresholdCount) {
    return step({ state: "unhealthy", reason: result.reason, description: result.description });
  }
  if (target.state === "initial" && target.reason !== initialHealthChecking.reason) {
    return step({ state: "initial", ...initialHealthChecking });
  }
  return step(undefined);
}
