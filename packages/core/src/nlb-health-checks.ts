import type { HealthCheckResult } from "./target-health.ts";

/** Target group protocols of Network Load Balancers. */
export const networkProtocols = ["TCP", "TLS", "UDP", "TCP_UDP"] as const;

export const isNetworkProtocol = (protocol: string): boolean =>
  (networkProtocols as readonly string[]).includes(protocol);

/**
 * NLB's health check defaults by health check protocol (TCP unless given; a UDP group is checked over
 * TCP, HTTP or HTTPS, never UDP): every 30 s, 5 passes to turn healthy, 2 failures to turn unhealthy, a
 * timeout of 6 s for HTTP and 10 s for TCP and HTTPS, and success codes 200-399 for HTTP(S).
 */
export function nlbHealthCheckDefaults(healthCheckProtocol: string): {
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  healthCheckPath: string;
  matcher: { httpCode: string };
} {
  return {
    healthCheckIntervalSeconds: 30,
    healthCheckTimeoutSeconds: healthCheckProtocol === "HTTP" ? 6 : 10,
    healthyThresholdCount: 5,
    unhealthyThresholdCount: 2,
    healthCheckPath: "/",
    matcher: { httpCode: "200-399" },
  };
}

/**
 * A stored matcher compiled for the data plane, never throwing: the api validated it when it was
 * written (ALB: 200-499, NLB: 200-599), and a snapshot must load whatever it finds. Something unreadable
 * falls back to NLB's default, 200-399.
 */
export function compileStoredMatcher(httpCode: string): (status: number) => boolean {
  const ranges: Array<[number, number]> = [];
  for (const part of httpCode.split(",")) {
    const match = /^\s*(\d{3})(?:-(\d{3}))?\s*$/.exec(part);
    if (!match) return (status) => status >= 200 && status <= 399;
    ranges.push([Number(match[1]), Number(match[2] ?? match[1])]);
  }
  return (status) => ranges.some(([low, high]) => status >= low && status <= high);
}

/**
 * NLB reports every failed check as Target.FailedHealthChecks (Target.Timeout and
 * Target.ResponseCodeMismatch are ALB's and GWLB's); the description keeps what went wrong.
 */
export function asNetworkHealthResult(result: HealthCheckResult): HealthCheckResult {
  if (result.ok) return result;
  return { ok: false, reason: "Target.FailedHealthChecks", description: result.description };
}
