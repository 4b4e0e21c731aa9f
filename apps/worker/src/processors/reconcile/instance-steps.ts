import { isSuspended, type LifecycleState } from "@scaleout/core";
import { activityCauses, type InstanceRow, lifecycleRegistry } from "@scaleout/services";
import type { WorkerContext } from "../../context.ts";
import type { Launcher } from "./launches.ts";
import { createLeavingServiceSteps } from "./leaving-service.ts";
import { alive, type InstanceStep, type PassState } from "./pass-state.ts";
import { createPendingWaitSteps } from "./pending-wait.ts";
import { createTerminatingWaitSteps } from "./terminating-wait.ts";

/*
 * One step along the lifecycle for each instance, by its lifecycle state:
 *
 *   (row inserted) Pending ──launch──▶ InService ──deregister──▶ Terminating ──drained──▶ Terminated
 *
 * with lifecycle hooks in between (pending-wait.ts, terminating-wait.ts): Pending ▶ Pending:Wait ▶
 * Pending:Proceed ▶ InService, and Terminating ▶ Terminating:Wait ▶ Terminating:Proceed ▶ Terminated.
 *
 * A state without a step here waits for something outside the pass (a user's action, a timeout).
 */

export function createInstanceSteps(
  ctx: WorkerContext,
  launcher: Launcher,
): Partial<Record<LifecycleState, InstanceStep>> {
  const { registry, log } = ctx;
  const waits = lifecycleRegistry(ctx.services.ctx);

  /** Stops the runtime instance of a row whose termination hooks are done (or absent), and closes the row. */
  async function stop(row: InstanceRow, pass: PassState): Promise<void> {
    await launcher.terminateRuntime(row.id);
    registry.finishTermination(row.id);
    pass.outcome.terminated++;
    log.info("instance terminated", { group: row.groupName, instance: row.id });
  }

  /**
   * Ends a Terminating row: into Terminating:Wait when the group has termination hooks (a group being
   * deleted skips them, as a forced delete does), else stopped now.
   */
  async function finish(row: InstanceRow, pass: PassState): Promise<void> {
    if (pass.snapshot.group.status === null && waits.beginTerminatingWait(row.id)) {
      log.info("instance waits on termination lifecycle hooks", { group: row.groupName, instance: row.id });
      return;
    }
    await stop(row, pass);
  }

  const pending: InstanceStep = async (row, pass) => {
    const instance = pass.runtime.get(row.id);
    if (instance?.state === "running") {
      // The worker died between the launch and recording it: adopt.
      registry.completeLaunch(row.id, { ref: instance.ref, address: instance.address, port: instance.port });
      log.info("adopted a launched instance", { group: row.groupName, instance: row.id });
      return;
    }
    // Never started (the worker died before asking the runtime), created but not started, or exited
    // before it was recorded: give up on this one; the capacity step launches a new one. Terminate even
    // when the runtime lists nothing: the worker may have died after the runtime started it but before
    // the runtime could record it (the process driver finds it by its id).
    await launcher.terminateRuntime(row.id);
    const reason =
      instance?.error ??
      (instance?.exitCode !== undefined ? `exited with code ${instance.exitCode}` : undefined);
    if (reason && instance?.state === "exited") registry.failLaunch(row.id, reason);
    else registry.cancelLaunch(row.id, "The worker stopped before the instance was started");
    log.warn("abandoned an unfinished launch", { group: row.groupName, instance: row.id });
  };

  const inService: InstanceStep = async (row, pass) => {
    const instance = pass.runtime.get(row.id);
    const { group } = pass.snapshot;
    // Suspended processes (SuspendProcesses): HealthCheck stops marking instances unhealthy at all;
    // ReplaceUnhealthy (and Terminate, which a replacement needs) leaves them marked but in service.
    const checking = !isSuspended(group, "HealthCheck");
    const replacing = !isSuspended(group, "ReplaceUnhealthy") && !isSuspended(group, "Terminate");
    if (!alive(instance)) {
      if (!checking) return;
      if (!replacing) {
        if (row.healthStatus !== "Unhealthy") registry.markUnhealthy(row.id);
        return;
      }
      // EC2 health check: the container or process is gone or has exited. It cannot serve, so there is
      // nothing to drain: out of service and stopped at once, and replaced by the capacity step.
      registry.beginTermination(row.id, activityCauses.ec2Health(pass.now), { unhealthy: true });
      await finish(row, pass);
      pass.replaced++;
      return;
    }
    if (instance && (row.driverRef !== instance.ref || row.port !== instance.port)) {
      registry.recordRuntime(row.id, { ref: instance.ref, address: instance.address, port: instance.port });
    }
    if (row.healthStatus === "Unhealthy" && replacing) {
      // Marked while ReplaceUnhealthy was suspended (or by SetInstanceHealth then): replaced now.
      const cause = group.healthCheckType === "ELB" ? activityCauses.elbHealth : activityCauses.ec2Health;
      const draining = registry.beginTermination(row.id, cause(pass.now), { unhealthy: true });
      pass.replaced++;
      if (!draining) await finish(row, pass);
      return;
    }
    const graceOver = pass.now >= (row.inServiceAt ?? row.launchedAt) + group.healthCheckGracePeriod * 1000;
    if (group.healthCheckType !== "ELB" || !graceOver) return;
    const unhealthyIn = registry.unhealthyIn(pass.snapshot, row);
    if (unhealthyIn.length === 0 || !checking) return;
    if (!replacing) {
      if (row.healthStatus !== "Unhealthy") registry.markUnhealthy(row.id);
      return;
    }
    // As AWS: terminate the unhealthy instance (deregistering it first), then launch a replacement.
    const draining = registry.beginTermination(row.id, activityCauses.elbHealth(pass.now), {
      unhealthy: true,
    });
    log.warn("replacing an instance that failed ELB health checks", {
      group: row.groupName,
      instance: row.id,
      targetGroups: unhealthyIn,
    });
    pass.replaced++;
    if (!draining) await finish(row, pass);
  };

  const terminating: InstanceStep = async (row, pass) => {
    // A runtime instance that is gone has nothing left to drain.
    if (!alive(pass.runtime.get(row.id)) || registry.drained(row.id)) await finish(row, pass);
  };

  return {
    Pending: pending,
    InService: inService,
    Terminating: terminating,
    ...createLeavingServiceSteps(ctx),
    ...createPendingWaitSteps(ctx, launcher),
    ...createTerminatingWaitSteps(ctx, stop),
  };
}
