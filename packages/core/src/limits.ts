/**
 * Ranges that depend on the server's mode. AWS's minimums (health checks every 5 s, alarm periods of
 * 10 s, cooldowns of 300 s by default) make local loops slow; fast mode (SCALEOUT_FAST=1) lowers the
 * time floors to 1 s and nothing else.
 */
export interface Limits {
  fast: boolean;
  minHealthCheckIntervalSeconds: number;
  minHealthCheckTimeoutSeconds: number;
  minAlarmPeriodSeconds: number;
  minSlowStartSeconds: number;
}

export function limitsFor(fast: boolean): Limits {
  return fast
    ? {
        fast,
        minHealthCheckIntervalSeconds: 1,
        minHealthCheckTimeoutSeconds: 1,
        minAlarmPeriodSeconds: 1,
        minSlowStartSeconds: 1,
      }
    : {
        fast,
        minHealthCheckIntervalSeconds: 5,
        minHealthCheckTimeoutSeconds: 2,
        minAlarmPeriodSeconds: 10,
        minSlowStartSeconds: 30,
      };
}

export const awsLimits = limitsFor(false);
