import type { SystemResources } from "./resources.ts";
import type { Snapshot } from "./snapshot.ts";
import { PoolRegistry, TargetGroupRuntime, TargetState } from "./targets.ts";

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
          state = new TargetState(target, this.pools.acquire(target.host, target.port));
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

  close(): void {
    this.pools.closeAll();
  }
}
