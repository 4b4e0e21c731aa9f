import { describe, expect, it } from "vitest";
import {
  type HealthCheckResult,
  type HealthCounters,
  initialHealthChecking,
  nextHealth,
} from "./target-health.ts";

/*
 * From the ELB User Guide, "Health checks for Application Load Balancer target groups": a newly
 * registered target is `initial` until it passes one check; a healthy target becomes unhealthy after
 * UnhealthyThresholdCount consecutive failures; an unhealthy one becomes healthy after
 * HealthyThresholdCount consecutive successes. DescribeTargetHealth reports Elb.InitialHealthChecking
 * while a new target's first checks have not passed.
 */

const thresholds = { healthyThresholdCount: 3, unhealthyThresholdCount: 2 };
const pass: HealthCheckResult = { ok: true, status: 200 };
const mismatch: HealthCheckResult = {
  ok: false,
  reason: "Target.ResponseCodeMismatch",
  description: "Health checks failed with these codes: [500]",
};
const timeout: HealthCheckResult = { ok: false, reason: "Target.Timeout", description: "Request timed out" };

/** Runs results through the machine, applying each transition; answers the states reported. */
function run(start: HealthCounters, results: HealthCheckResult[]): string[] {
  const target = { ...start };
  const reported: string[] = [];
  for (const result of results) {
    const step = nextHealth(target, result, thresholds);
    target.consecutivePasses = step.consecutivePasses;
    target.consecutiveFails = step.consecutiveFails;
    if (step.transition) {
      target.state = step.transition.state;
      target.reason = step.transition.reason;
      target.description = step.transition.description;
      reported.push(`${target.state}${target.reason ? `/${target.reason}` : ""}`);
    }
  }
  return reported;
}

const fresh = (state: string): HealthCounters => ({
  state,
  reason: null,
  description: null,
  consecutivePasses: 0,
  consecutiveFails: 0,
});

describe("nextHealth", () => {
  it("a new target is healthy after one passing check, whatever the healthy threshold", () => {
    expect(run(fresh("initial"), [pass])).toEqual(["healthy"]);
  });

  it("a new target failing its first checks is initial / Elb.InitialHealthChecking, then unhealthy", () => {
    expect(run(fresh("initial"), [mismatch, mismatch])).toEqual([
      `initial/${initialHealthChecking.reason}`,
      "unhealthy/Target.ResponseCodeMismatch",
    ]);
  });

  it("healthy turns unhealthy only after unhealthyThresholdCount failures in a row", () => {
    expect(run(fresh("healthy"), [mismatch, pass, mismatch])).toEqual([]);
    expect(run(fresh("healthy"), [mismatch, mismatch])).toEqual(["unhealthy/Target.ResponseCodeMismatch"]);
  });

  it("unhealthy needs healthyThresholdCount passes in a row; a failure resets the count", () => {
    const failing = { ...fresh("unhealthy"), reason: mismatch.reason, description: mismatch.description };
    expect(run(failing, [pass, pass, mismatch, pass, pass])).toEqual([]);
    expect(run(fresh("unhealthy"), [pass, pass, pass])).toEqual(["healthy"]);
  });

  it("an unhealthy target's reason follows the latest failure without a new transition otherwise", () => {
    const start = { ...fresh("unhealthy"), reason: mismatch.reason, description: mismatch.description };
    expect(run(start, [mismatch, timeout, timeout])).toEqual(["unhealthy/Target.Timeout"]);
  });

  it("counts: a pass resets failures and a failure resets passes", () => {
    const step = nextHealth({ ...fresh("healthy"), consecutiveFails: 1 }, pass, thresholds);
    expect(step).toEqual({ consecutivePasses: 1, consecutiveFails: 0, transition: undefined });
    const failed = nextHealth({ ...fresh("unhealthy"), consecutivePasses: 2 }, timeout, thresholds);
    expect(failed.consecutivePasses).toBe(0);
    expect(failed.consecutiveFails).toBe(1);
  });
});
