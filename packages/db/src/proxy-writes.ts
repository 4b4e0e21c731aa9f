import { and, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { loadBalancers, targets } from "./schema/elb.ts";

/*
 * What the data plane writes into the registry: target health, drained targets, load balancer state. The
 * local proxy calls these on its own SQLite handle; the api calls them for proxies on other hosts
 * (POST /v1/proxy/reports), so both paths write the same rows under the same guards.
 */

export interface TargetRef {
  id: string;
  port: number;
}

export interface TargetHealthWrite extends TargetRef {
  state: string;
  reason: string | null;
  description: string | null;
}

/** Health is the proxy's to write: DescribeTargetHealth reads it back. A draining row is the api's. */
export function writeTargetHealth(db: Db, groupArn: string, target: TargetHealthWrite, now: number): number {
  return db
    .update(targets)
    .set({ state: target.state, reason: target.reason, description: target.description, updatedAt: now })
    .where(
      and(
        eq(targets.targetGroupArn, groupArn),
        eq(targets.targetId, target.id),
        eq(targets.port, target.port),
        ne(targets.state, "draining"),
      ),
    )
    .run().changes;
}

/** A draining target's in-flight requests are done (targets.drained_at); the first time counts. */
export function writeTargetDrained(db: Db, groupArn: string, target: TargetRef, at: number): number {
  return db
    .update(targets)
    .set({ drainedAt: at })
    .where(
      and(
        eq(targets.targetGroupArn, groupArn),
        eq(targets.targetId, target.id),
        eq(targets.port, target.port),
        eq(targets.state, "draining"),
        isNull(targets.drainedAt),
      ),
    )
    .run().changes;
}

/** A drained target leaves its group; only a row still draining (not registered again) goes. */
export function deleteDrainedTarget(db: Db, groupArn: string, target: TargetRef): number {
  return db
    .delete(targets)
    .where(
      and(
        eq(targets.targetGroupArn, groupArn),
        eq(targets.targetId, target.id),
        eq(targets.port, target.port),
        eq(targets.state, "draining"),
      ),
    )
    .run().changes;
}

/** Written only when it differs: answers whether it did (the one log line of the change). */
export function writeLoadBalancerState(db: Db, arn: string, state: string, reason: string | null): boolean {
  const { changes } = db
    .update(loadBalancers)
    .set({ state, stateReason: reason })
    .where(
      and(
        eq(loadBalancers.arn, arn),
        or(ne(loadBalancers.state, state), sql`${loadBalancers.stateReason} IS NOT ${reason}`),
      ),
    )
    .run();
  return changes > 0;
}

/** Every target's health as recorded: what a proxy that does not check routes on until it hears more. */
export function readTargetHealth(db: Db): Array<{
  targetGroupArn: string;
  key: string;
  state: string;
  reason: string | null;
  description: string | null;
}> {
  return db
    .select({
      targetGroupArn: targets.targetGroupArn,
      targetId: targets.targetId,
      port: targets.port,
      state: targets.state,
      reason: targets.reason,
      description: targets.description,
    })
    .from(targets)
    .all()
    .map((r) => ({
      targetGroupArn: r.targetGroupArn,
      key: `${r.targetId}:${r.port}`,
      state: r.state,
      reason: r.reason,
      description: r.description,
    }));
}
