import type { Sample } from "@scaleout/core";
import { recordSamples, schema } from "@scaleout/db";
import { and, eq, isNull, ne } from "drizzle-orm";
import type { SystemResources } from "./resources.ts";

export interface TargetKey {
  id: string;
  port: number;
}

export interface TargetHealthRow extends TargetKey {
  state: string;
  reason: string | null;
  description: string | null;
}

/**
 * The proxy's only writer of the registry: target health, drained targets leaving, load balancer state
 * and metric samples. Every write is best effort: SQLite may be locked or read-only, and the data plane
 * keeps serving; each method answers whether the write happened so its caller can retry.
 */
export class RegistryWriter {
  constructor(private readonly resources: SystemResources) {}

  /** Health is the proxy's to write: DescribeTargetHealth reads it back. A draining row is the api's. */
  recordHealth(groupArn: string, target: TargetHealthRow): boolean {
    try {
      this.resources.db
        .update(schema.targets)
        .set({
          state: target.state,
          reason: target.reason,
          description: target.description,
          updatedAt: this.resources.now(),
        })
        .where(
          and(
            eq(schema.targets.targetGroupArn, groupArn),
            eq(schema.targets.targetId, target.id),
            eq(schema.targets.port, target.port),
            ne(schema.targets.state, "draining"),
          ),
        )
        .run();
      return true;
    } catch (error) {
      this.resources.log.warn(`could not record the health of ${target.id}:${target.port}`, error);
      return false;
    }
  }

  /**
   * A draining target's in-flight requests are done: its instance may stop now (the worker reads
   * drained_at), while the row stays `draining` until its deadline. The first time counts.
   */
  markTargetDrained(groupArn: string, target: TargetKey, at: number): boolean {
    try {
      this.resources.db
        .update(schema.targets)
        .set({ drainedAt: at })
        .where(
          and(
            eq(schema.targets.targetGroupArn, groupArn),
            eq(schema.targets.targetId, target.id),
            eq(schema.targets.port, target.port),
            eq(schema.targets.state, "draining"),
            isNull(schema.targets.drainedAt),
          ),
        )
        .run();
      return true;
    } catch (error) {
      this.resources.log.warn(
        `could not record target ${target.id}:${target.port} as drained; retrying`,
        error,
      );
      return false;
    }
  }

  /** A drained target leaves its group; only a row still draining (not registered again) goes. */
  deleteDrainedTarget(groupArn: string, target: TargetKey): boolean {
    try {
      this.resources.db
        .delete(schema.targets)
        .where(
          and(
            eq(schema.targets.targetGroupArn, groupArn),
            eq(schema.targets.targetId, target.id),
            eq(schema.targets.port, target.port),
            eq(schema.targets.state, "draining"),
          ),
        )
        .run();
      return true;
    } catch (error) {
      this.resources.log.warn(`could not remove drained target ${target.id}:${target.port}; retrying`, error);
      return false;
    }
  }

  recordLoadBalancerState(arn: string, state: string, reason: string | null): boolean {
    try {
      this.resources.db
        .update(schema.loadBalancers)
        .set({ state, stateReason: reason })
        .where(eq(schema.loadBalancers.arn, arn))
        .run();
      return true;
    } catch (error) {
      this.resources.log.warn(`could not record load balancer ${arn} as ${state}`, error);
      return false;
    }
  }

  recordSamples(samples: Sample[]): boolean {
    try {
      recordSamples(this.resources.db, samples);
      return true;
    } catch (error) {
      this.resources.log.warn("could not write metrics; this second is lost", error);
      return false;
    }
  }
}
