import { request } from "node:http";
import { request as requestTls } from "node:https";
import { asNetworkHealthResult, type HealthCheckResult } from "@scaleout/core";
import { checkTcp } from "./health-tcp-probe.ts";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

export type CheckResult = HealthCheckResult;

/** Target groups of Network Load Balancers: their failures all read Target.FailedHealthChecks. */
const networkProtocols = new Set(["TCP", "TLS", "UDP", "TCP_UDP"]);

/**
 * One health check on the group's port with its timeout: a TCP connect (NLB groups' default; a UDP group
 * is checked over TCP, HTTP or HTTPS, as AWS requires), or a GET on its path judged by its matcher. An
 * HTTPS check does not verify the target's certificate, as ELB's does not.
 */
export async function checkTarget(group: TargetGroupRuntime, target: TargetState): Promise<CheckResult> {
  const hc = group.config.healthCheck;
  const port = hc.healthCheckPort === "traffic-port" ? target.port : Number(hc.healthCheckPort);
  const protocol: string = hc.healthCheckProtocol;
  const result =
    protocol === "TCP"
      ? await checkTcp(target.host, port, hc.healthCheckTimeoutSeconds * 1000)
      : await checkHttp(group, target, port);
  return networkProtocols.has(group.config.protocol) ? asNetworkHealthResult(result) : result;
}

function checkHttp(group: TargetGroupRuntime, target: TargetState, port: number): Promise<CheckResult> {
  const hc = group.config.healthCheck;
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const send = hc.healthCheckProtocol === "HTTPS" ? requestTls : request;
    const req = send(
      {
        host: target.host,
        rejectUnauthorized: false,
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
