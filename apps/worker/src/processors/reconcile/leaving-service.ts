import type { LifecycleState } from "@scaleout/core";
import type { WorkerContext } from "../../context.ts";
import { alive, type InstanceStep } from "./pass-state.ts";

/*
 * Instances on their way out of service without being terminated: EnteringStandby (EnterStandby) and
 * Detaching (DetachInstances). The service deregistered them; once their targets have drained (or the
 * runtime instance is gone, which has nothing to drain) they become Standby or Detached and their
 * activity ends. Neither counts toward the desired capacity meanwhile, so a replacement may already be
 * launching.
 */

export function createLeavingServiceSteps(ctx: WorkerContext): Partial<Record<LifecycleState, InstanceStep>> {
  const { registry, log } = ctx;
  const leave: InstanceStep = async (row, pass) => {
    if (alive(pass.runtime.get(row.id)) && !registry.drained(row.id)) return;
    registry.finishMove(row.id);
    log.info(row.lifecycleState === "Detaching" ? "instance detached" : "instance in standby", {
      group: row.groupName,
      instance: row.id,
    });
  };
  return { EnteringStandby: leave, Detaching: leave };
}
