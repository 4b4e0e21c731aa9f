import { request } from "node:http";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

export type CheckResult = { ok: true; status: number } | { ok: false; reason: string; description: string };

/** One health check: a GET on the group's path and port, with its timeout, judged by its matcher. */
export function checkTarget(group: TargetGroupRuntime, target: TargetState): Promise<CheckResult> {
  const hc = group.config.healthCheck;
  const port = hc.healthCheckPort === "traffic-port" ? target.port : Number(hc.healthCheckPort);
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = request(
      {
        host: target.host,
        port,
        path: hc.healthCheckPath,
        method: "GET",
        // A fresh connection per check, as ALB's checker opens one.
        agent: false,
        headers: { "user-agent": "ELB-HealthChecker/2.0", connection: "close" },
        timeout: hc.healthCheckTimeoutSeconds * 1000,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        done(
          group.config.healthy(status)
            ? { ok: true, status }
            : {
                ok: false,
                reason: "Target.ResponseCodeMismatch",
                description: `Health checks failed with these codes: [${status}]`,
              },
        );
      },
    );
    req.on("timeout", () => {
      done({ ok: false, reason: "Target.Timeout", description: "Request timed out" });
      req.destroy();
    });
    req.on("error", () =>
      done({ ok: false, reason: "Target.FailedHealthChecks", description: "Health checks failed" }),
    );
    req.end();
  });
}

export interface Transition {
  state: "initial" | "healthy" | "unhealthy";
  reason: string | null;
  description: string | null;
}

/**
 * The state machine of ALB health: a new target is healthy after one passing check; a healthy one turns
 * unhealthy after `unhealthyThresholdCount` failures in a row; an unhealthy one needs
 * `healthyThresholdCount` passes in a row. Answers the transition, if the result caused one.
 */
export function applyCheck(
  group: TargetGroupRuntime,
  target: TargetState,
  result: CheckResult,
): Transition | undefined {
  const hc = group.config.healthCheck;
  if (result.ok) {
    target.consecutiveFails = 0;
    target.consecutivePasses++;
    const needed = target.state === "initial" ? 1 : hc.healthyThresholdCount;
    if (target.state !== "healthy" && target.consecutivePasses >= needed) {
      return { state: "healthy", reason: null, description: null };
    }
    return undefined;
  }
  target.consecutivePasses = 0;
  target.consecutiveFails++;
  if (target.state === "unhealthy") {
    // Already unhealthy: keep the latest reason current without counting a transition.
    if (target.reason !== result.reason || target.description !== result.description) {
      return { state: "unhealthy", reason: result.reason, description: result.description };
    }
    return undefined;
  }
  if (target.consecutiveFails >= hc.unhealthyThresholdCount) {
    return { state: "unhealthy", reason: result.reason, description: result.description };
  }
  if (target.state === "initial" && target.reason !== initialHealthChecking.reason) {
    // Registered, checked, not yet passing: AWS's "initial health checks in progress".
    return { state: "initial", ...initialHealthChecking };
  }
  return undefined;
}

const initialHealthChecking = {
  reason: "Elb.InitialHealthChecking",
  description: "Initial health checks in progress",
};
