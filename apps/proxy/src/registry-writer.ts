import type { Sample } from "@scaleout/core";
import {
  type Db,
  deleteDrainedTarget,
  recordSamples,
  writeLoadBalancerState,
  writeTargetDrained,
  writeTargetHealth,
} from "@scaleout/db";

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
 * and metric samples. Every write is best effort: SQLite may be locked or read-only (the local writer),
 * the api unreachable (remote/api-writer.ts), and the data plane keeps serving; each method answers
 * whether the write happened (or was queued) so its caller can retry.
 */
export interface RegistryWriter {
  recordHealth(groupArn: string, target: TargetHealthRow): boolean;
  markTargetDrained(groupArn: string, target: TargetKey, at: number): boolean;
  deleteDrainedTarget(groupArn: string, target: TargetKey): boolean;
  recordLoadBalancerState(arn: string, state: string, reason: string | null): boolean;
  recordSamples(samples: Sample[]): boolean;
}

type WriterLog = Pick<Console, "info" | "warn">;

/** The load balancer's state line, once a change was written (however many workers report the same). */
export function logLoadBalancerState(
  log: WriterLog,
  arn: string,
  state: string,
  reason: string | null,
): void {
  const name = arn.split("/")[2] ?? arn;
  const text = `load balancer ${name} is ${state}${reason === null ? ": every listener bound" : `: ${reason}`}`;
  if (state === "active") log.info(text);
  else log.warn(text);
}

/** The local proxy's writer: the registry's SQLite file, shared with the api and the worker. */
export class SqliteRegistryWriter implements RegistryWriter {
  constructor(
    private readonly db: Db,
    private readonly log: WriterLog,
    private readonly now: () => number,
  ) {}

  recordHealth(groupArn: string, target: TargetHealthRow): boolean {
    return this.attempt(`could not record the health of ${target.id}:${target.port}`, () =>
      writeTargetHealth(this.db, groupArn, target, this.now()),
    );
  }

  /** Its instance may stop now (the worker reads drained_at); the row stays `draining` until its deadline. */
  markTargetDrained(groupArn: string, target: TargetKey, at: number): boolean {
    return this.attempt(`could not record target ${target.id}:${target.port} as drained; retrying`, () =>
      writeTargetDrained(this.db, groupArn, target, at),
    );
  }

  deleteDrainedTarget(groupArn: string, target: TargetKey): boolean {
    return this.attempt(`could not remove drained target ${target.id}:${target.port}; retrying`, () =>
      deleteDrainedTarget(this.db, groupArn, target),
    );
  }

  recordLoadBalancerState(arn: string, state: string, reason: string | null): boolean {
    return this.attempt(`could not record load balancer ${arn} as ${state}`, () => {
      if (writeLoadBalancerState(this.db, arn, state, reason))
        logLoadBalancerState(this.log, arn, state, reason);
    });
  }

  recordSamples(samples: Sample[]): boolean {
    return this.attempt("could not write metrics; this second is lost", () =>
      recordSamples(this.db, samples),
    );
  }

  private attempt(failure: string, write: () => unknown): boolean {
    try {
      write();
      return true;
    } catch (error) {
      this.log.warn(failure, error);
      return false;
    }
  }
}
