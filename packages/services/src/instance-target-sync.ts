import { isSuspended } from "@scaleout/core";
import type { ServiceContext } from "./context.ts";
import { mutate } from "./context.ts";
import { deregisterRows, registerTarget, targetRowsOf } from "./instance-targets.ts";
import type { GroupSnapshot, InstanceRow } from "./instances.ts";

/*
 * The reconciler's last step of a pass: an InService instance's registrations follow its group's
 * target group attachments (and the AddToLoadBalancer process).
 */

export function instanceTargetSync(ctx: ServiceContext) {
  return {
    /**
     * Target registrations follow the group's attachments: each InService instance is registered in
     * every attached target group and deregistered from target groups no longer attached.
     */
    syncTargets(snapshot: GroupSnapshot): void {
      const now = ctx.now();
      const attached = new Set(snapshot.targetGroups.map((g) => g.arn));
      const register = !isSuspended(snapshot.group, "AddToLoadBalancer");
      mutate(ctx, (tx) => {
        for (const instance of snapshot.instances) {
          if (instance.lifecycleState !== "InService") continue;
          const rows = targetRowsOf(tx, instance);
          const joins = register && !instance.registrationSkipped ? snapshot.targetGroups : [];
          for (const targetGroup of joins) {
            const registered = rows.some(
              (r) => r.targetGroupArn === targetGroup.arn && r.state !== "draining",
            );
            if (!registered) registerTarget(tx, targetGroup, instance, now);
          }
          const stale = rows.filter((r) => !attached.has(r.targetGroupArn) && r.state !== "draining");
          if (stale.length > 0) deregisterRows(tx, stale, now);
        }
      });
    },

    /** Whether a target group attachment or registration is missing or stale: syncTargets has work. */
    targetsOutOfSync(snapshot: GroupSnapshot): boolean {
      const attached = new Set(snapshot.targetGroups.map((g) => g.arn));
      for (const instance of snapshot.instances) {
        if (instance.lifecycleState !== "InService") continue;
        const rows = targetRowsOf(ctx.db, instance).filter((r) => r.state !== "draining");
        if (rows.some((r) => !attached.has(r.targetGroupArn))) return true;
        if (isSuspended(snapshot.group, "AddToLoadBalancer") || instance.registrationSkipped) continue;
        if (snapshot.targetGroups.some((g) => !rows.some((r) => r.targetGroupArn === g.arn))) return true;
      }
      return false;
    },

    /** Target groups in which the instance's target is unhealthy (ELB health checks, as the proxy wrote them). */
    unhealthyIn(snapshot: GroupSnapshot, instance: InstanceRow): string[] {
      const attached = new Set(snapshot.targetGroups.map((g) => g.arn));
      return targetRowsOf(ctx.db, instance)
        .filter((r) => attached.has(r.targetGroupArn) && r.state === "unhealthy")
        .map((r) => r.targetGroupArn);
    },
  };
}
