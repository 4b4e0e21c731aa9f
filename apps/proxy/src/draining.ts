import type { DataPlane } from "./data-plane.ts";
import { deregistrationElapsed } from "./forward.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";
import type { TargetGroupRuntime, TargetState } from "./targets.ts";

/**
 * Whether a draining target still has requests in flight, and who hears that it left. In one process
 * that is the target's own count; with workers, the owner asks every worker's last report (a target
 * none has reported on yet counts as busy) and tells them all when it has gone.
 */
export interface DrainGate {
  busy(groupArn: string, target: TargetState): boolean;
  left(groupArn: string, key: string): void;
}

export const localDrainGate: DrainGate = {
  busy: (_groupArn, target) => target.outstanding > 0,
  left: () => {},
};

/**
 * Deregistered targets drain. Once its last in-flight request (or tunnel) is done, a target is drained:
 * the registry records it (targets.drained_at), so its instance may stop at once, but it shows
 * `draining` for the whole deregistration delay, as AWS shows it. It leaves its group when the delay
 * runs out, which cuts off what is still in flight (ALB answers 502 and closes WebSocket connections).
 */
export class Draining {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly registry: RegistryWriter,
    private readonly gate: DrainGate = localDrainGate,
  ) {}

  sweep(): void {
    const now = this.resources.now();
    for (const runtime of this.plane.groups.values()) {
      for (const [key, target] of runtime.targets) {
        if (target.state !== "draining") continue;
        if ((target.drainDeadline ?? 0) > now) {
          if (target.drainedAt === null && !this.gate.busy(runtime.config.arn, target)) {
            // Not recorded (SQLite busy): the next sweep tries again.
            if (this.registry.markTargetDrained(runtime.config.arn, target, now)) target.drainedAt = now;
          }
          continue;
        }
        // Not deleted (SQLite busy): the target stays draining and the next sweep tries again.
        if (!this.registry.deleteDrainedTarget(runtime.config.arn, target)) continue;
        this.leave(runtime, key);
        this.gate.left(runtime.config.arn, key);
      }
    }
  }

  /** The target leaves this process's view; what is still in flight to it ends (the delay ran out). */
  leave(runtime: TargetGroupRuntime, key: string): void {
    const target = runtime.targets.get(key);
    if (!target) return;
    runtime.targets.delete(key);
    runtime.invalidate();
    this.plane.pools.release(target.origin);
    // The target has left the group first, so the sweep their completion triggers does not see it again.
    for (const request of target.inflight.items()) request.abort(deregistrationElapsed());
  }
}
