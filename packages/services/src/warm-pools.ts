import {
  checkPageSize,
  decodeToken,
  Errors,
  encodeToken,
  isWarmPoolState,
  normalizeWarmPool,
  type WarmPoolConfig,
  warmPoolLifecycleStates,
} from "@scaleout/core";
import { type Db, schema, type Tx } from "@scaleout/db";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { mutate, type ServiceContext } from "./context.ts";
import { findGroup, toInstance } from "./group-view.ts";
import type { Wire } from "./shapes/common.ts";
import type { InstanceSummary } from "./shapes/groups.ts";
import type { WarmPoolConfiguration } from "./shapes/warm-pool-configuration.ts";
import type { PutWarmPool, WarmPool } from "./shapes/warm-pools.ts";

/*
 * PutWarmPool, DescribeWarmPool and DeleteWarmPool: the pool's configuration row. The worker does the
 * rest (reconcile/warm-pool.ts): it launches and parks the pool's instances, takes them on scale-out,
 * and empties a pool whose deletion was asked for, then deletes its row.
 */

const { instances, lifecycleActions, warmPools } = schema;
export type WarmPoolRow = typeof warmPools.$inferSelect;

/** The lifecycle states DescribeWarmPool lists and the group's own Instances leave out. */
export const warmPoolStateList = [...warmPoolLifecycleStates];

export function findWarmPool(db: Db | Tx, groupName: string): WarmPoolRow | undefined {
  return db.select().from(warmPools).where(eq(warmPools.groupName, groupName)).get();
}

export function warmPoolConfig(row: WarmPoolRow): WarmPoolConfig {
  return {
    minSize: row.minSize,
    maxGroupPreparedCapacity: row.maxGroupPreparedCapacity,
    poolState: isWarmPoolState(row.poolState) ? row.poolState : "Stopped",
    reuseOnScaleIn: row.reuseOnScaleIn,
  };
}

export function toWarmPoolConfiguration(row: WarmPoolRow): WarmPoolConfiguration {
  return {
    ...(row.maxGroupPreparedCapacity !== null && { maxGroupPreparedCapacity: row.maxGroupPreparedCapacity }),
    minSize: row.minSize,
    poolState: row.poolState,
    ...(row.status !== null && { status: row.status }),
    instanceReusePolicy: { reuseOnScaleIn: row.reuseOnScaleIn },
  };
}

/** The group's instances in its warm pool (any Warmed:* state but Warmed:Terminated), by instance id. */
export function warmPoolInstances(db: Db | Tx, groupName: string) {
  return db
    .select()
    .from(instances)
    .where(and(eq(instances.groupName, groupName), inArray(instances.lifecycleState, warmPoolStateList)))
    .orderBy(asc(instances.id))
    .all();
}

/** DescribeAutoScalingGroups' WarmPoolConfiguration and WarmPoolSize, for a group that has a pool. */
export function groupWarmPoolView(
  db: Db | Tx,
  groupName: string,
): { warmPoolConfiguration: WarmPoolConfiguration; warmPoolSize: number } | undefined {
  const row = findWarmPool(db, groupName);
  if (!row) return undefined;
  return {
    warmPoolConfiguration: toWarmPoolConfiguration(row),
    warmPoolSize: warmPoolInstances(db, groupName).length,
  };
}

export function warmPoolService(ctx: ServiceContext) {
  return {
    /** PutWarmPool: creates the group's pool, or updates it in place (omitted members keep their value). */
    put(groupName: string, input: Wire<PutWarmPool>): void {
      mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        if (group.status !== null) {
          throw new Errors.ValidationError(`AutoScalingGroup '${group.name}' is pending delete.`);
        }
        const current = findWarmPool(tx, group.name);
        if (current?.status === "PendingDelete") {
          throw new Errors.ValidationError(
            `The warm pool of AutoScalingGroup '${group.name}' is pending delete; wait until it is deleted before putting a new one.`,
          );
        }
        const config = normalizeWarmPool(
          {
            minSize: input.minSize,
            maxGroupPreparedCapacity: input.maxGroupPreparedCapacity,
            poolState: input.poolState,
            reuseOnScaleIn: input.instanceReusePolicy?.reuseOnScaleIn,
          },
          current && warmPoolConfig(current),
        );
        const values = { ...config, status: null };
        if (current) tx.update(warmPools).set(values).where(eq(warmPools.groupName, group.name)).run();
        else
          tx.insert(warmPools)
            .values({ groupName: group.name, ...values, createdAt: ctx.now() })
            .run();
        announce.groups.push({ name: group.name, reason: "warm pool changed" });
      });
    },

    /** DescribeWarmPool: the configuration and the pool's instances; nothing when the group has no pool. */
    describe(groupName: string, options: { pageSize?: number; nextToken?: string } = {}): WarmPool {
      const pageSize = checkPageSize(options.pageSize);
      const after = decodeToken(options.nextToken);
      const group = findGroup(ctx.db, groupName);
      const row = findWarmPool(ctx.db, group.name);
      if (!row) return { instances: [] };
      const rows = ctx.db
        .select()
        .from(instances)
        .where(
          and(
            eq(instances.groupName, group.name),
            inArray(instances.lifecycleState, warmPoolStateList),
            after === undefined ? undefined : gt(instances.id, after),
          ),
        )
        .orderBy(asc(instances.id))
        .limit(pageSize + 1)
        .all();
      const items: InstanceSummary[] = rows.slice(0, pageSize).map((r) => {
        const {
          autoScalingGroupName: _group,
          privateIpAddress: _ip,
          port: _port,
          launchTime: _at,
          ...summary
        } = toInstance(r);
        return summary;
      });
      const last = rows[pageSize - 1];
      return {
        warmPoolConfiguration: toWarmPoolConfiguration(row),
        instances: items,
        ...(rows.length > pageSize && last && { nextToken: encodeToken(last.id) }),
      };
    },

    /**
     * DeleteWarmPool: PendingDelete while the worker terminates the pool's instances, then the row goes.
     * ForceDelete deletes the row at once, with the pool's outstanding lifecycle actions; the worker still
     * terminates the instances it leaves behind.
     */
    delete(groupName: string, options: { forceDelete?: boolean } = {}): void {
      mutate(ctx, (tx, announce) => {
        const group = findGroup(tx, groupName);
        const row = findWarmPool(tx, group.name);
        if (!row)
          throw new Errors.ValidationError(`No warm pool found for Auto Scaling group '${group.name}'.`);
        const pooled = warmPoolInstances(tx, group.name);
        if (options.forceDelete || pooled.length === 0) {
          tx.delete(warmPools).where(eq(warmPools.groupName, group.name)).run();
          const ids = pooled.map((r) => r.id);
          if (ids.length > 0)
            tx.delete(lifecycleActions).where(inArray(lifecycleActions.instanceId, ids)).run();
        } else {
          tx.update(warmPools)
            .set({ status: "PendingDelete" })
            .where(eq(warmPools.groupName, group.name))
            .run();
        }
        announce.groups.push({ name: group.name, reason: "warm pool deleted" });
      });
    },
  };
}

export type WarmPoolService = ReturnType<typeof warmPoolService>;
