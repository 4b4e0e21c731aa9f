import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { enqueueExecutePolicy, enqueueReconcile, publishConfigVersion, type Queues } from "./connection.ts";
import { type ExecutePolicyJob, eventStreamKey, eventStreamMaxLength, type PublishedEvent } from "./names.ts";

/** The shape of the services' ChangeEvents, implemented over Redis (structurally typed: queue does not depend on services). */
export interface RedisChangeEvents {
  configChanged(version: number): void;
  groupChanged(groupName: string, reason: string): void;
  policyInvoked(invocation: ExecutePolicyJob): void;
  published(event: PublishedEvent): void;
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
  identity: { account: string; region: string } = { account: "123456789012", region: "us-east-1" },
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
    published(event) {
      // A Redis stream, capped, so a follower that reconnects resumes from its last id (Last-Event-ID).
      const full = {
        version: "0",
        id: randomUUID(),
        "detail-type": event["detail-type"],
        source: event.source,
        account: identity.account,
        time: `${new Date().toISOString().slice(0, 19)}Z`,
        region: identity.region,
        resources: event.resources,
        detail: event.detail,
      };
      redis
        .xadd(eventStreamKey(prefix), "MAXLEN", "~", eventStreamMaxLength, "*", "event", JSON.stringify(full))
        .catch((error: unknown) => warnings(error, `could not publish event ${event["detail-type"]}`));
    },
  };
}
