import type { HealthCheckResult } from "./target-health.ts";

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
