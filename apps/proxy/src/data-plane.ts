import type { SystemResources } from "./resources.ts";
import type { Snapshot } from "./snapshot.ts";
import { PoolRegistry, TargetGroupRuntime, TargetState } from "./targets.ts";
import type { HealthEntry } from "./worker-messages.ts";

/**
 * The run-time view every system reads: the current snapshot and each target group's live targets
 * (health, counters, connection pool). A new snapshot is merged in, so health and connections of the
 * targets that remain survive a configuration change.
 */
export class DataPlane {
  snapshot: Snapshot | undefined;
  readonly groups = new Map<string, TargetGroupRuntime>();
  readonly pools: PoolRegistry;

  constructor(private readonly resources: SystemResources) {
    const options = resources.options;
    this.pools = new PoolRegistry({
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      connections: options.connectionsPerTarget ?? 256,
    });
  }

  /** Merges `next` in; answers the groups that were removed (their health checks stop). */
  apply(next: Snapshot): string[] {
    const now = this.resources.now();
    for (const [arn, config] of next.targetGroups) {
      let runtime = this.groups.get(arn);
      if (!runtime) {
        runtime = new TargetGroupRuntime(config);
        this.groups.set(arn, runtime);
      }
      runtime.config = config;
      const seen = new Set<string>();
      for (const target of config.targets) {
        seen.add(target.key);
        if (target.drainDeadline !== null && target.drainDeadline <= now) continue;
        let state = runtime.targets.get(target.key);
        if (!state || state.host !== target.host) {
          if (state) this.pools.release(state.origin);
          state = new TargetState(
            target,
            this.pools.acquire(target.host, target.port, config.protocol === "HTTPS"),
          );
          runtime.targets.set(target.key, state);
        } else if (target.state === "draining") {
          state.state = "draining";
          state.reason = target.reason;
          state.description = target.description;
          state.drainDeadline = target.drainDeadline;
        } else if (state.state === "draining") {
          // Registered again while draining: it starts over.
          state.state = target.state;
          state.reason = target.reason;
          state.description = target.description;
          state.drainDeadline = null;
          state.drainedAt = null;
          state.consecutivePasses = 0;
          state.consecutiveFails = 0;
        }
      }
      for (const [key, state] of runtime.targets) {
        if (!seen.has(key)) {
          runtime.targets.delete(key);
          this.pools.release(state.origin);
        }
      }
      runtime.invalidate();
    }
    const removed: string[] = [];
    for (const [arn, runtime] of this.groups) {
      if (next.targetGroups.has(arn)) continue;
      this.groups.delete(arn);
      for (const state of runtime.targets.values()) this.pools.release(state.origin);
      removed.push(arn);
    }
    this.snapshot = next;
    return removed;
  }

  /** Every target's health, for workers that route on the owner's checks. */
  healthView(): HealthEntry[] {
    const entries: HealthEntry[] = [];
    for (const [arn, runtime] of this.groups) {
      for (const t of runtime.targets.values())
        entries.push([arn, t.key, t.state, t.reason, t.description, t.healthySince]);
    }
    return entries;
  }

  /**
   * The owner's view of one target's health, applied here. A draining target stays draining (that
   * state is the registry's, and arrives with a snapshot); an unknown one is skipped, as the snapshot
   * that brings it also brings its health from the registry, and the next sync its live view.
   */
  applyHealth(entry: HealthEntry): void {
    const [arn, key, state, reason, description, healthySince] = entry;
    const runtime = this.groups.get(arn);
    const target = runtime?.targets.get(key);
    if (!runtime || !target || target.state === "draining" || state === "draining") return;
    if (target.state === state && target.healthySince === healthySince) return;
    target.state = state;
    target.reason = reason;
    target.description = description;
    target.healthySince = healthySince;
    runtime.invalidate();
  }

  close(): void {
    this.pools.closeAll();
  }
}
