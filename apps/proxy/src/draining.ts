import type { DataPlane } from "./data-plane.ts";
import { deregistrationElapsed } from "./forward.ts";
import type { RegistryWriter } from "./registry-writer.ts";
import type { SystemResources } from "./resources.ts";

/**
 * Deregistered targets drain: one leaves its group once its last in-flight request (or tunnel) is done,
 * or when its deregistration delay runs out, which cuts off what is still in flight (ALB answers 502 and
 * closes WebSocket connections).
 */
export class Draining {
  constructor(
    private readonly resources: SystemResources,
    private readonly plane: DataPlane,
    private readonly registry: RegistryWriter,
  ) {}

  sweep(): void {
    const now = this.resources.now();
    for (const runtime of this.plane.groups.values()) {
      for (const [key, target] of runtime.targets) {
        if (target.state !== "draining") continue;
        if (target.outstanding > 0 && (target.drainDeadline ?? 0) > now) continue;
        // Not deleted (SQLite busy): the target stays draining and the next sweep tries again.
        if (!this.registry.deleteDrainedTarget(runtime.config.arn, target)) continue;
        runtime.targets.delete(key);
        runtime.invalidate();
        this.plane.pools.release(target.origin);
        // The target has left the group first, so the sweep their completion triggers does not see it again.
        for (const request of [...target.inflight]) request.abort(deregistrationElapsed());
      }
    }
  }
}
