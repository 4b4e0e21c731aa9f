import type { Redis } from "ioredis";
import { enqueueExecutePolicy, enqueueReconcile, publishConfigVersion, type Queues } from "./connection.ts";
import type { ExecutePolicyJob } from "./names.ts";

/** The shape of the services' ChangeEvents, implemented over Redis (structurally typed: queue does not depend on services). */
export interface RedisChangeEvents {
  configChanged(version: number): void;
  groupChanged(groupName: string, reason: string): void;
  policyInvoked(invocation: ExecutePolicyJob): void;
}

/**
 * Announces committed changes on Redis. A failure here never undoes or fails the change: it is already
 * in SQLite, the proxy also polls the version, and the worker's periodic resync reconciles every group,
 * so a Redis outage delays convergence but loses nothing.
 */
export function createRedisEvents(
  redis: Redis,
  queues: Queues,
  prefix: string,
  warnings: (error: unknown, message: string) => void,
): RedisChangeEvents {
  const warn = (what: string) => (error: unknown) =>
    warnings(error, `could not ${what}; polling will pick it up`);
  return {
    configChanged(version) {
      publishConfigVersion(redis, version, `${prefix}:`).catch(
        warn(`publish configuration version ${version}`),
      );
    },
    groupChanged(groupName, reason) {
      enqueueReconcile(queues, { groupName, reason }).catch(
        warn(`enqueue a reconcile of group ${groupName}`),
      );
    },
    policyInvoked(invocation) {
      enqueueExecutePolicy(queues, invocation).catch(warn(`enqueue policy ${invocation.policyArn}`));
    },
  };
}
